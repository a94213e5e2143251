import * as crypto from "node:crypto";
import type { z } from "zod";
import type * as pulumi from "@pulumi/pulumi";
import { DEFAULT_NAMESPACE } from "../sdk/common";
import { Readiness } from "./conditions";
import { Progress, progressFor } from "./progress";
import { ensureKpack, InstallOptions } from "./install";
import { ClusterAccess, kube, Kube } from "./kube/client";
import { apply, deleteAndWait, describe, get, KubeObject, MANAGED_BY, ObjectRef, refOf, waitUntil } from "./kube/objects";
import { compact, containsUnknown, deepEqual, Props, unknownAlong } from "./values";

/**
 * The lifecycle every kpack kind shares (check → diff → create/update → read →
 * delete). A kind supplies only its pure parts in a KindDefinition; this module
 * is the one place that talks to Pulumi's dynamic-provider contract.
 */

/** Inputs every kind has (see sdk/common.ts commonInputs and internalInputs). */
export interface CommonArgs extends ClusterAccess {
  name?: string;
  namespace?: string;
  skipAwait?: boolean;
  timeoutSeconds?: number;
  logicalName: string;
  providerVersion: string;
  resourceUrn?: string;
  installKpack?: false | InstallOptions;
  /** Set by check when the provider chose the name. */
  autoNamed?: boolean;
}

export interface KindDefinition<A extends CommonArgs> {
  kind: string;
  apiVersion: string;
  namespaced: boolean;
  /** The zod schema of the checked inputs (the SDK's, plus internal keys). */
  schema: z.ZodType<A>;
  /** Longest allowed object name (63 where kpack copies the name into labels). */
  maxNameLength: number;
  /** Input keys whose change kpack cannot apply in place. name and namespace always replace. */
  replaceOn: readonly string[];
  /** The object's spec (and extra metadata), from validated args: pure. */
  manifest(args: A): { spec: Props; labels?: Record<string, string>; annotations?: Record<string, string> };
  /** Outputs read off a live object: pure. */
  outputs(obj: KubeObject): Props;
  /** Readiness of a live object: pure. */
  readiness(obj: KubeObject): Readiness;
  /** Default create/update wait. */
  defaultTimeoutSeconds: number;
  /** A wait of its own (Image waits for the Build of the written generation). Default: awaitReadiness. */
  await?(ctx: AwaitContext<A>): Promise<KubeObject>;
  /**
   * Objects the kind's object needs first (its ServiceAccount, Secrets, RBAC), in
   * apply order, from validated args: pure. The engine applies them before the
   * object, deletes those an update no longer produces, and deletes them after the object.
   */
  companions?(args: A): KubeObject[];
}

/** Keys that are not part of the object: changing them alone never replaces it. */
const META_KEYS = new Set(["logicalName", "autoNamed", "resourceUrn", "__provider"]);

export function inputKeys(def: KindDefinition<CommonArgs>): string[] {
  const shape = (def.schema as unknown as { shape?: Record<string, unknown> }).shape ?? {};
  return Object.keys(shape).filter((k) => !META_KEYS.has(k));
}

export function label(def: KindDefinition<CommonArgs>, args: Pick<CommonArgs, "name" | "namespace" | "logicalName">): string {
  const where = args.name ? `${args.namespace ? `${args.namespace}/` : ""}${args.name}` : `(${args.logicalName})`;
  return `${def.kind} ${where}`;
}

/** A DNS-1123 name from a Pulumi logical name plus a random suffix, like Pulumi's auto-naming. */
export function autoName(logicalName: string, maxLength: number): string {
  const suffix = crypto.randomBytes(4).toString("hex").slice(0, 7);
  let base = logicalName.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "");
  base = base.slice(0, maxLength - suffix.length - 1).replace(/-+$/, "") || "kpack";
  return `${base}-${suffix}`;
}

/** Inputs or outputs without the serialized provider and undefined members. */
export function strip(p: Props | undefined): Props {
  const out: Props = {};
  for (const [k, v] of Object.entries(p ?? {})) if (k !== "__provider" && v !== undefined) out[k] = v;
  return out;
}

/** A zod issue path as users write it: `source.blob.url`, `order[0].group`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i ? "." : ""}${String(p)}`)).join("") || "(args)";
}

export function check(def: KindDefinition<CommonArgs>, olds: Props | undefined, news: Props): pulumi.dynamic.CheckResult<Props> {
  const inputs = strip(news);
  const prev = strip(olds);
  if (inputs.name === undefined) {
    // Keep an auto-generated name across updates; make a new one only the first time.
    if (prev.autoNamed === true && typeof prev.name === "string") inputs.name = prev.name;
    else inputs.name = autoName(String(inputs.logicalName ?? def.kind), def.maxNameLength);
    inputs.autoNamed = true;
  } else {
    delete inputs.autoNamed;
  }
  if (def.namespaced && inputs.namespace === undefined) {
    // Written into the inputs so the stored state matches the next program's
    // checked inputs (no phantom replace) and the namespace is known at preview.
    inputs.namespace = DEFAULT_NAMESPACE;
  }
  const parsed = def.schema.safeParse(inputs);
  const failures: pulumi.dynamic.CheckFailure[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      // A value unknown at preview is checked again at apply, when it is known.
      if (unknownAlong(inputs, issue.path)) continue;
      const field = formatPath(issue.path);
      failures.push({
        property: String(issue.path[0] ?? ""),
        reason: `${label(def, { ...(inputs as Props), logicalName: String(inputs.logicalName) } as CommonArgs)}: ${field}: ${issue.message}.`,
      });
    }
  }
  if (typeof inputs.name === "string" && inputs.name.length > def.maxNameLength) {
    failures.push({ property: "name", reason: `${def.kind} ${inputs.name}: name: must be at most ${def.maxNameLength} characters. Choose a shorter name.` });
  }
  return { inputs, failures };
}

export function diff(def: KindDefinition<CommonArgs>, olds: Props, news: Props): pulumi.dynamic.DiffResult {
  const o = strip(olds);
  const n = strip(news);
  const changed = inputKeys(def).filter((k) => !deepEqual(o[k], n[k]) || containsUnknown(n[k]));
  const replaceKeys = new Set(["name", "namespace", ...def.replaceOn]);
  const replaces = changed.filter((k) => replaceKeys.has(k));
  return {
    changes: changed.length > 0,
    replaces,
    // A kpack object keeps its name across a replacement, so the old one must go first.
    deleteBeforeReplace: replaces.length > 0,
  };
}

function parse<A extends CommonArgs>(def: KindDefinition<A>, props: Props): A {
  const r = def.schema.safeParse(strip(props));
  if (!r.success) {
    const first = r.error.issues[0];
    throw new Error(`${label(def as KindDefinition<CommonArgs>, props as unknown as CommonArgs)}: ${formatPath(first.path)}: ${first.message}.`);
  }
  return r.data;
}

export function refFor(def: KindDefinition<CommonArgs>, args: Pick<CommonArgs, "name" | "namespace">): ObjectRef {
  return { apiVersion: def.apiVersion, kind: def.kind, name: args.name!, namespace: def.namespaced ? args.namespace : undefined };
}

export function idFor(ref: ObjectRef): string {
  return ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
}

export function toObject<A extends CommonArgs>(def: KindDefinition<A>, args: A): KubeObject {
  const m = def.manifest(args);
  return {
    apiVersion: def.apiVersion,
    kind: def.kind,
    metadata: {
      name: args.name!,
      ...(def.namespaced ? { namespace: args.namespace ?? DEFAULT_NAMESPACE } : {}),
      labels: { ...MANAGED_BY, ...(m.labels ?? {}) },
      ...(m.annotations ? { annotations: m.annotations } : {}),
    },
    spec: m.spec,
  };
}

/** What a kind's wait gets: the object written, where to reach it, the budget and where to report. */
export interface AwaitContext<A extends CommonArgs> {
  kube: Kube;
  ref: ObjectRef;
  args: A;
  /** metadata.generation of the object as the apply left it. */
  generation: number;
  deadline: number;
  /** The whole wait budget (timeoutSeconds or the kind's default), for messages. */
  budgetMs: number;
  label: string;
  progress: Progress;
  /** The previous inputs, on update. */
  previous?: A;
}

/** The default wait: the kind's readiness over a watch of the object. */
export async function awaitReadiness<A extends CommonArgs>(def: KindDefinition<A>, ctx: AwaitContext<A>): Promise<KubeObject> {
  let last: Readiness = { state: "pending", message: "waiting for kpack" };
  const obj = await waitUntil(ctx.kube, ctx.ref, (o) => {
    if (!o) return false;
    last = def.readiness(o);
    if (last.state === "pending") ctx.progress.status(last.message);
    return last.state !== "pending";
  }, ctx.deadline - Date.now(), "for kpack to report it ready").catch((e: Error) => {
    throw /timed out/.test(e.message) && last.state === "pending"
      ? new Error(`${e.message} Last state: ${last.message}. Raise timeoutSeconds, or set skipAwait to not wait.`)
      : e;
  });
  if (!obj) throw new Error(`${ctx.label}: it was deleted while waiting for it to become ready.`);
  const final = last as Readiness;
  if (final.state === "failed") throw new Error(`${ctx.label}: kpack reports it not ready: ${final.message}.`);
  return obj;
}

/** A create/update that applied the object but failed to become ready keeps the object in state. */
function initFailure(e: unknown, id: string, properties: Props): Error {
  return Object.assign(new Error((e as Error).message), { id, properties, reasons: [(e as Error).message] });
}

/** Marks a companion as ours and as this resource's: the owner decides who may update or delete it. */
export const OWNER_ANNOTATION = "pulumi-kpack.io/owner";

/** The companions of args, labelled and annotated with their owner (`<Kind> <id>`). */
export function companionsOf<A extends CommonArgs>(def: KindDefinition<A>, args: A, owner: string): KubeObject[] {
  return (def.companions?.(args) ?? []).map((c) => ({
    ...c,
    metadata: {
      ...c.metadata,
      labels: { ...MANAGED_BY, ...(c.metadata?.labels ?? {}) },
      annotations: { ...(c.metadata?.annotations ?? {}), [OWNER_ANNOTATION]: owner },
    },
  }));
}

/** The checked args stored in a resource's state (its outputs carry its inputs), or undefined when they no longer parse. */
function argsFromState<A extends CommonArgs>(def: KindDefinition<A>, props: Props): A | undefined {
  const p = strip(props);
  const inputs: Props = {};
  for (const key of [...inputKeys(def as KindDefinition<CommonArgs>), "logicalName", "autoNamed", "resourceUrn"]) if (p[key] !== undefined) inputs[key] = p[key];
  const r = def.schema.safeParse(inputs);
  return r.success ? r.data : undefined;
}

const refKey = (o: KubeObject) => describe(refOf(o)) + ` ${o.apiVersion}`;

/** Applies companions in order, refusing (before writing any) to take over an object someone else made. */
async function applyCompanions(k: Kube, objs: KubeObject[], owner: string, lbl: string): Promise<void> {
  for (const o of objs) {
    const ref = refOf(o);
    const live = await get(k, ref);
    const theirs = live?.metadata?.annotations?.[OWNER_ANNOTATION];
    if (live && theirs !== owner) {
      throw new Error(
        `${lbl}: it needs ${describe(ref)}, which already exists and ${theirs ? `belongs to ${theirs}` : "was not made by pulumi-kpack"}. ` +
          `Give this resource's ${ref.kind} another name, or delete the existing one if nothing uses it.`,
      );
    }
  }
  for (const o of objs) {
    await apply(k, o).catch((e: Error) => {
      throw new Error(`${lbl}: ${e.message}`);
    });
  }
}

/** Deletes companions (in reverse apply order) that are still this owner's; anything else is left alone. */
async function releaseCompanions(k: Kube, objs: KubeObject[], owner: string, lbl: string, timeoutMs: number): Promise<void> {
  for (const o of [...objs].reverse()) {
    const ref = refOf(o);
    const live = await get(k, ref);
    if (!live || live.metadata?.annotations?.[OWNER_ANNOTATION] !== owner) continue;
    await deleteAndWait(k, ref, timeoutMs).catch((e: Error) => {
      throw new Error(`${lbl}: ${e.message}`);
    });
  }
}

async function applyAndAwait<A extends CommonArgs>(def: KindDefinition<A>, props: Props, olds?: Props): Promise<{ id: string; outs: Props }> {
  const args = parse(def, props);
  const k = kube(args);
  const obj = toObject(def, args);
  const ref = refFor(def as KindDefinition<CommonArgs>, { name: args.name, namespace: obj.metadata?.namespace });
  const id = idFor(ref);
  const lbl = label(def as KindDefinition<CommonArgs>, args);
  const progress = progressFor(args.resourceUrn);
  await ensureKpack(k, args.installKpack, progress).catch((e: Error) => {
    throw new Error(`${lbl}: making sure kpack is installed failed: ${e.message}`);
  });
  const owner = `${def.kind} ${id}`;
  const companions = companionsOf(def, args, owner);
  await applyCompanions(k, companions, owner, lbl);
  const applied = await apply(k, obj);
  const oldArgs = olds ? argsFromState(def, olds) : undefined;
  if (olds) {
    // After the object moved off them, and before the wait (a failed wait would forget the old args).
    const keep = new Set(companions.map(refKey));
    const stale = oldArgs ? companionsOf(def, oldArgs, owner).filter((o) => !keep.has(refKey(o))) : [];
    await releaseCompanions(k, stale, owner, lbl, (args.timeoutSeconds ?? def.defaultTimeoutSeconds) * 1000);
  }
  // The engine's Struct encoding rejects undefined members: drop them.
  const outs = (o: KubeObject) => compact({ ...props, namespace: ref.namespace ?? props.namespace, ...def.outputs(o) });
  if (args.skipAwait) return { id, outs: outs(applied) };
  const budgetMs = (args.timeoutSeconds ?? def.defaultTimeoutSeconds) * 1000;
  const ctx: AwaitContext<A> = {
    kube: k,
    ref,
    args,
    generation: applied.metadata?.generation ?? 0,
    deadline: Date.now() + budgetMs,
    budgetMs,
    label: lbl,
    progress,
    previous: oldArgs,
  };
  try {
    const live = def.await ? await def.await(ctx) : await awaitReadiness(def, ctx);
    // The last status line stays next to the resource in `pulumi up`: end on the result.
    const built = def.outputs(live).latestImage;
    progress.status(typeof built === "string" ? `ready: ${built}` : "ready");
    return { id, outs: outs(live) };
  } catch (e) {
    throw initFailure(e, id, outs(applied));
  }
}

export async function create<A extends CommonArgs>(def: KindDefinition<A>, inputs: Props): Promise<pulumi.dynamic.CreateResult<Props>> {
  return applyAndAwait(def, inputs);
}

export async function update<A extends CommonArgs>(def: KindDefinition<A>, olds: Props, news: Props): Promise<pulumi.dynamic.UpdateResult<Props>> {
  return { outs: (await applyAndAwait(def, news, olds)).outs };
}

export async function read<A extends CommonArgs>(def: KindDefinition<A>, id: string, props: Props | undefined): Promise<pulumi.dynamic.ReadResult<Props>> {
  const p = strip(props);
  const [ns, name] = id.includes("/") ? id.split("/", 2) : [undefined, id];
  const k = kube(p as ClusterAccess);
  const ref = refFor(def as KindDefinition<CommonArgs>, { name, namespace: ns });
  const live = await get(k, ref);
  // Gone out of band: an empty id removes it from the state.
  if (!live) return { id: "", props: {} };
  const inputs: Props = {};
  for (const key of inputKeys(def as KindDefinition<CommonArgs>)) if (p[key] !== undefined) inputs[key] = p[key];
  for (const key of ["logicalName", "autoNamed", "resourceUrn"]) if (p[key] !== undefined) inputs[key] = p[key];
  return { id, props: compact({ ...p, ...def.outputs(live) }), inputs };
}

export async function remove<A extends CommonArgs>(def: KindDefinition<A>, id: string, props: Props): Promise<void> {
  const p = strip(props);
  const [ns, name] = id.includes("/") ? id.split("/", 2) : [undefined, id];
  const k = kube(p as ClusterAccess);
  const timeoutMs = (typeof p.timeoutSeconds === "number" ? p.timeoutSeconds : def.defaultTimeoutSeconds) * 1000;
  await deleteAndWait(k, refFor(def as KindDefinition<CommonArgs>, { name, namespace: ns }), timeoutMs);
  const args = argsFromState(def, p);
  if (args) await releaseCompanions(k, companionsOf(def, args, `${def.kind} ${id}`), `${def.kind} ${id}`, label(def as KindDefinition<CommonArgs>, args), timeoutMs);
}
