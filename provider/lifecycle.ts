import * as crypto from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { BOOKKEEPING_KEYS, ClusterAccess, CommonInputs, DEFAULT_NAMESPACE } from "../schema/common";
import { fieldIssues, formatPath, issueMessage } from "../schema/messages";
import { accessProblems, kube, Kube } from "./kube/client";
import { Progress, progressFor } from "./progress";
import { compact, containsUnknown, deepEqual, Props, unknownAlong } from "./values";
import { Deadline, DEFAULT_TIMEOUT_SECONDS, InitError, KindName, TIMEOUT_ADVICE, TimeoutError } from "./wait-policy";

/**
 * The lifecycle every resource shares, and the one place that speaks Pulumi's
 * dynamic-provider contract: check (auto-naming, validation against the kind's
 * schema), diff (which input keys changed, which replace), create/update (one
 * Deadline per operation), read (outputs and inputs from the live state) and
 * delete. A resource supplies what is its own in a ResourceDefinition; kpack
 * object kinds get theirs from defineKind() (provider/kind.ts).
 */

/** A kind's schemas as the provider uses them (see schema/common.ts kindSchemas). */
export interface KindSchemas<A> {
  inputs: z.ZodType<A>;
  /** Input keys whose change is a change to the resource. */
  keys: readonly string[];
}

/** What one create, update or delete has: its cluster, its deadline and where it reports. */
export interface Operation<A> {
  kube: Kube;
  deadline: Deadline;
  /** `<Kind> <namespace/name>`, for messages. */
  label: string;
  progress: Progress;
  /** The inputs as the engine sent them, for outputs (they carry the inputs). */
  props: Props;
  /** The previous inputs, on update (undefined when they no longer parse). */
  previous?: A;
  /** The stored state (inputs and outputs) before an update. */
  previousState?: Props;
}

export interface ResourceDefinition<A extends CommonInputs> {
  kind: KindName;
  schema: KindSchemas<A>;
  /** Input keys whose change cannot be applied in place. */
  replaceOn: readonly string[];
  /** Objects named like kpack's: auto-named in check, and name (and namespace) changes replace. Absent: no object name. */
  naming?: { namespaced: boolean; maxNameLength: number };
  /** Create or update: make the cluster match args. An error after the first write should be an InitError. */
  apply(args: A, op: Operation<A>): Promise<{ id: string; outputs: Props }>;
  /** Outputs read off the cluster; undefined when it is gone. */
  read(id: string, state: Props, k: Kube): Promise<Props | undefined>;
  /** Delete; `args` are the stored inputs when they still parse. */
  remove(id: string, state: Props, args: A | undefined, op: Operation<A>): Promise<void>;
  /**
   * One line on what a change will do in the cluster beyond what the diff shows
   * (an Image: whether it builds, and why), shown next to the resource in
   * `pulumi preview` and `pulumi up`. `olds`: the stored state (inputs and
   * outputs), undefined for a new resource; `news`: the checked inputs. Pure:
   * it runs at preview, where nothing may reach the cluster.
   */
  describeChange?(olds: Props | undefined, news: Props): string | undefined;
  /**
   * Changes from the previous inputs that kpack would refuse at `up` (a volume
   * cache that shrinks, say), each with the path under the inputs and what to
   * do instead: check reports them, so preview fails and nothing is written.
   */
  transitionProblems?(olds: Props, news: A): Array<{ path: string; message: string }>;
  /**
   * One line on what the cluster did on its own since the stored state was
   * written (an Image: the builds kpack made), from the stored and the
   * refreshed outputs; shown next to the resource in `pulumi refresh` and
   * `pulumi preview --refresh`. Pure.
   */
  describeRefresh?(state: Props, outputs: Props): string | undefined;
}

/** The dynamic-provider methods of one kind, over the engine's property bags. */
export interface ResourceHandlers {
  check(olds: Props | undefined, news: Props): pulumi.dynamic.CheckResult<Props>;
  diff(id: string, olds: Props, news: Props): pulumi.dynamic.DiffResult;
  create(inputs: Props): Promise<pulumi.dynamic.CreateResult<Props>>;
  read(id: string, props: Props | undefined): Promise<pulumi.dynamic.ReadResult<Props>>;
  update(id: string, olds: Props, news: Props): Promise<pulumi.dynamic.UpdateResult<Props>>;
  delete(id: string, props: Props): Promise<void>;
}

/**
 * The dynamic-provider methods of a resource definition. `report` is where a
 * resource's lines go (the engine's Log RPC; unit tests pass their own).
 */
export function handlersOf<A extends CommonInputs>(
  def: ResourceDefinition<A>,
  report: (urn: string | undefined) => Progress = progressFor,
): ResourceHandlers {
  // What a change will do, told once the change is known: at check for a new
  // resource (the engine calls no diff for it), at diff for a changed one.
  const tell = (olds: Props | undefined, news: Props | undefined) => {
    const line = news && def.describeChange?.(olds, news);
    if (line) report(typeof news.resourceUrn === "string" ? news.resourceUrn : undefined).info(line);
  };
  return {
    check: (olds, news) => {
      const r = check(def, olds, news);
      // The engine sends empty olds for a resource it is about to create.
      if (Object.keys(strip(olds)).length === 0 && !r.failures?.length) tell(undefined, r.inputs);
      // The engine prints a failure's property as "property <key> value {<value>}", secrets in plain
      // text (a managedServiceAccount's passwords, a kubeconfig). The reason names the field already.
      return r.failures?.length ? { ...r, failures: r.failures.map((f) => ({ property: "", reason: f.reason })) } : r;
    },
    diff: (_id, olds, news) => {
      const d = diff(def, olds, news);
      if (d.changes) tell(strip(olds), strip(news));
      return d;
    },
    create: (inputs) => apply(def, inputs),
    read: (id, props) => read(def, id, props, report),
    update: async (_id, olds, news) => ({ outs: (await apply(def, news, olds)).outs }),
    delete: (id, props) => remove(def, id, props),
  };
}

export function label(kind: string, args: { name?: string; namespace?: string; logicalName?: unknown }, named = true): string {
  if (!named) return `${kind} ${String(args.logicalName)}`;
  // Wrong-typed name or namespace (reported by check) fall back to the logical name.
  const ns = typeof args.namespace === "string" && args.namespace ? `${args.namespace}/` : "";
  const where = typeof args.name === "string" && args.name ? `${ns}${args.name}` : `(${String(args.logicalName)})`;
  return `${kind} ${where}`;
}

function labelOf<A extends CommonInputs>(def: ResourceDefinition<A>, args: { name?: string; namespace?: string; logicalName?: unknown }): string {
  return label(def.kind, args, def.naming !== undefined);
}

/**
 * A DNS-1123 name from a Pulumi logical name plus a suffix, like Pulumi's
 * auto-naming. The suffix is a hash of the resource's URN when there is one, not
 * random: a create cut short (the CLI killed mid-create) leaves a pending create
 * that the next `pulumi up` retries under the same name, so it adopts the object
 * the first try made instead of leaking it beside a second one.
 */
export function autoName(logicalName: string, maxLength: number, urn?: string): string {
  const suffix = (urn ? crypto.createHash("sha256").update(urn).digest("hex") : crypto.randomBytes(4).toString("hex")).slice(0, 7);
  let base = logicalName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "");
  base = base.slice(0, maxLength - suffix.length - 1).replace(/-+$/, "") || "kpack";
  return `${base}-${suffix}`;
}

/** Inputs or outputs without the serialized provider and undefined members. */
export function strip(p: Props | undefined): Props {
  const out: Props = {};
  for (const [k, v] of Object.entries(p ?? {})) if (k !== "__provider" && v !== undefined) out[k] = v;
  return out;
}

export { formatPath };

/** How check() words the top-level keys of a kind: internal ones are never suggested; a cluster-scoped kind says why it has no namespace. */
function topLevelKeys<A extends CommonInputs>(def: ResourceDefinition<A>) {
  const clusterScoped = def.naming && !def.naming.namespaced;
  return {
    hidden: [...BOOKKEEPING_KEYS, "providerVersion"],
    absent: clusterScoped ? { namespace: `a ${def.kind} is cluster-scoped and has no namespace. Remove it` } : ({} as Record<string, string>),
  };
}

export function check<A extends CommonInputs>(def: ResourceDefinition<A>, olds: Props | undefined, news: Props): pulumi.dynamic.CheckResult<Props> {
  const inputs = strip(news);
  const prev = strip(olds);
  const naming = def.naming;
  if (naming) {
    if (inputs.name === undefined) {
      // Keep an auto-generated name across updates; make a new one only the first time.
      if (prev.autoNamed === true && typeof prev.name === "string") inputs.name = prev.name;
      else
        inputs.name = autoName(
          typeof inputs.logicalName === "string" ? inputs.logicalName : def.kind,
          naming.maxNameLength,
          typeof inputs.resourceUrn === "string" ? inputs.resourceUrn : undefined,
        );
      inputs.autoNamed = true;
    } else {
      delete inputs.autoNamed;
    }
    // Written into the inputs so the stored state matches the next program's
    // checked inputs (no phantom replace) and the namespace is known at preview.
    if (naming.namespaced && inputs.namespace === undefined) inputs.namespace = DEFAULT_NAMESPACE;
  }
  const parsed = def.schema.inputs.safeParse(inputs, { error: issueMessage });
  const failures: pulumi.dynamic.CheckFailure[] = [];
  const lbl = labelOf(def, inputs as { name?: string; namespace?: string; logicalName?: unknown });
  if (!parsed.success) {
    for (const issue of fieldIssues(def.schema.inputs, parsed.error.issues, def.kind, topLevelKeys(def))) {
      // A value unknown at preview is checked again at apply, when it is known.
      if (unknownAlong(inputs, issue.path)) continue;
      failures.push({ property: String(issue.path[0] ?? ""), reason: `${lbl}: ${formatPath(issue.path)}: ${issue.message}.` });
    }
  }
  if (parsed.success && def.transitionProblems && Object.keys(prev).length) {
    for (const p of def.transitionProblems(prev, parsed.data)) {
      failures.push({ property: p.path.split(".")[0], reason: `${lbl}: ${p.path}: ${p.message}.` });
    }
  }
  // Cluster access that cannot work, found offline; input types are the schema's to report.
  const access = { kubeconfig: inputs.kubeconfig, context: inputs.context };
  if ([access.kubeconfig, access.context].every((v) => v === undefined || typeof v === "string")) {
    for (const p of accessProblems(access as ClusterAccess)) {
      const field = p.source === "input" ? p.field : `stack config kpack:${p.field}`;
      failures.push({ property: p.field, reason: `${lbl}: ${field}: ${p.message}.` });
    }
  }
  if (naming && typeof inputs.name === "string" && inputs.name.length > naming.maxNameLength) {
    failures.push({
      property: "name",
      reason: `${def.kind} ${inputs.name}: name: must be at most ${naming.maxNameLength} characters. Choose a shorter name.`,
    });
  }
  return { inputs, failures };
}

export function diff<A extends CommonInputs>(def: ResourceDefinition<A>, olds: Props, news: Props): pulumi.dynamic.DiffResult {
  const o = strip(olds);
  const n = strip(news);
  const changed = def.schema.keys.filter((k) => !deepEqual(o[k], n[k]) || containsUnknown(n[k]));
  const replaceKeys = new Set([...(def.naming ? ["name", "namespace"] : []), ...def.replaceOn]);
  const replaces = changed.filter((k) => replaceKeys.has(k));
  return {
    changes: changed.length > 0,
    replaces,
    // A kpack object keeps its name across a replacement, so the old one must go first.
    deleteBeforeReplace: replaces.length > 0,
  };
}

function parse<A extends CommonInputs>(def: ResourceDefinition<A>, props: Props): A {
  const r = def.schema.inputs.safeParse(strip(props), { error: issueMessage });
  if (!r.success) {
    const first = fieldIssues(def.schema.inputs, r.error.issues, def.kind, topLevelKeys(def))[0];
    throw new Error(`${labelOf(def, props as { name?: string })}: ${formatPath(first.path)}: ${first.message}.`);
  }
  return r.data;
}

/** The input keys (and bookkeeping keys) of stored state: what read() returns as inputs. */
function inputsOf<A extends CommonInputs>(def: ResourceDefinition<A>, state: Props): Props {
  const inputs: Props = {};
  for (const key of [...def.schema.keys, ...BOOKKEEPING_KEYS]) if (state[key] !== undefined) inputs[key] = state[key];
  return inputs;
}

/** The checked args stored in a resource's state (its outputs carry its inputs), or undefined when they no longer parse. */
function argsFromState<A extends CommonInputs>(def: ResourceDefinition<A>, state: Props): A | undefined {
  const r = def.schema.inputs.safeParse(inputsOf(def, state));
  return r.success ? r.data : undefined;
}

/** Cluster access as stored in state. */
function accessOf(state: Props): ClusterAccess {
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  return { kubeconfig: str(state.kubeconfig), context: str(state.context) };
}

function budget<A extends CommonInputs>(def: ResourceDefinition<A>, timeoutSeconds: unknown): Deadline {
  return Deadline.seconds(typeof timeoutSeconds === "number" ? timeoutSeconds : DEFAULT_TIMEOUT_SECONDS[def.kind]);
}

/** The message a user reads for an error of an operation: a timeout says what to do about it. */
export function userMessage(e: unknown): string {
  const m = (e as Error)?.message ?? String(e);
  return e instanceof TimeoutError ? `${m} ${TIMEOUT_ADVICE}` : m;
}

async function apply<A extends CommonInputs>(def: ResourceDefinition<A>, props: Props, olds?: Props): Promise<{ id: string; outs: Props }> {
  const args = parse(def, props);
  const op: Operation<A> = {
    kube: kube(args),
    deadline: budget(def, args.timeoutSeconds),
    label: labelOf(def, args),
    progress: progressFor(args.resourceUrn),
    props,
    previous: olds ? argsFromState(def, strip(olds)) : undefined,
    previousState: olds ? strip(olds) : undefined,
  };
  try {
    const { id, outputs } = await def.apply(args, op);
    // The engine's Struct encoding rejects undefined members: drop them.
    return { id, outs: compact({ ...props, ...outputs }) };
  } catch (e) {
    // An InitError already tells the user (see provider/kind.ts): Pulumi keeps the resource with its properties.
    if (e instanceof InitError) throw e;
    throw new Error(userMessage(e), { cause: e });
  }
}

async function read<A extends CommonInputs>(
  def: ResourceDefinition<A>,
  id: string,
  props: Props | undefined,
  report: (urn: string | undefined) => Progress,
): Promise<pulumi.dynamic.ReadResult<Props>> {
  const state = strip(props);
  const outputs = await def.read(id, state, kube(accessOf(state)));
  // Gone out of band: an empty id removes it from the state.
  if (!outputs) return { id: "", props: {} };
  const line = def.describeRefresh?.(state, outputs);
  if (line) report(typeof state.resourceUrn === "string" ? state.resourceUrn : undefined).info(line);
  return { id, props: compact({ ...state, ...outputs }), inputs: inputsOf(def, state) };
}

async function remove<A extends CommonInputs>(def: ResourceDefinition<A>, id: string, props: Props): Promise<void> {
  const state = strip(props);
  const args = argsFromState(def, state);
  const op: Operation<A> = {
    kube: kube(accessOf(state)),
    deadline: budget(def, state.timeoutSeconds),
    label: labelOf(def, args ?? { ...state, name: id.split("/").pop() }),
    progress: progressFor(typeof state.resourceUrn === "string" ? state.resourceUrn : undefined),
    props: state,
  };
  await def.remove(id, state, args, op).catch((e: unknown) => {
    throw new Error(userMessage(e));
  });
}
