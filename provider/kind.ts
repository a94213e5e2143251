import { CommonInputs, DEFAULT_NAMESPACE, KPACK_API_VERSION } from "../schema/common";
import { Readiness, readyCondition, status } from "./conditions";
import { ensureKpack } from "./install";
import type { Kube } from "./kube/client";
import {
  apply,
  ClusterIO,
  clusterIO,
  deleteAndWait,
  describe,
  get,
  KubeObject,
  madeBy,
  MANAGED_BY,
  ObjectRef,
  refOf,
  RESOURCE_ANNOTATION,
  soleOwner,
} from "./kube/objects";
import { KindSchemas, Operation, ResourceDefinition, userMessage } from "./lifecycle";
import type { Progress } from "./progress";
import { compact, Props } from "./values";
import { Deadline, InitError, KindName, notObservedAdvice, TimeoutError } from "./wait-policy";

/**
 * A kpack object kind: what is its own (schema, manifest, outputs, how to wait
 * for it, the companion objects it needs) in a KindDefinition; defineKind()
 * turns it into a ResourceDefinition for the shared lifecycle. The I/O of one
 * object lives here: install check, companions, server-side apply, wait,
 * read, delete-and-wait.
 */
export interface KindDefinition<A extends CommonInputs> {
  kind: KindName;
  namespaced: boolean;
  schema: KindSchemas<A>;
  /** Longest allowed object name (63 where kpack copies the name into labels). */
  maxNameLength: number;
  /** Input keys whose change kpack cannot apply in place. name and namespace always replace. */
  replaceOn?: readonly (keyof A & string)[];
  /** The object's spec (and extra metadata), from validated args: pure. */
  manifest(args: A): { spec: Props; labels?: Record<string, string>; annotations?: Record<string, string> };
  /** Outputs read off a live object: pure. */
  outputs(obj: KubeObject): Props;
  /** Outputs that need more than the object (an Image's provenance, from its Build): read after the wait and on refresh. */
  moreOutputs?(k: Kube, live: KubeObject): Promise<Props>;
  /** What a refresh found that kpack did on its own (see ResourceDefinition.describeRefresh). Pure. */
  describeRefresh?: (state: Props, outputs: Props) => string | undefined;
  /** How create/update wait for the object written. Default: Ready at the written generation (awaitReady(readyCondition)). */
  await?: Awaiter<A>;
  /**
   * Objects the kind's object needs first (its ServiceAccount, Secrets, RBAC), in
   * apply order, from validated args: pure. They are applied before the object,
   * those an update no longer produces are deleted, and all are deleted after the object.
   */
  companions?(args: A): KubeObject[];
  /**
   * Before a create: wait for what a deleted object of the same name left
   * behind for the garbage collector and would clash with (an Image's Builds).
   * Deletes do not wait for dependents (deleteAndWait), so a replacement that
   * keeps the name waits here instead, and only then.
   */
  beforeCreate?(ctx: Omit<AwaitContext<A>, "generation" | "previous">): Promise<void>;
  /** What a change will do beyond the diff, for preview: see ResourceDefinition.describeChange. Pure. */
  describeChange?: (olds: Props | undefined, news: Props) => string | undefined;
  /** Changes kpack refuses, said at preview: see ResourceDefinition.transitionProblems. Pure. */
  transitionProblems?: (olds: Props, news: A) => Array<{ path: string; message: string }>;
  /**
   * Just before the object is applied: a write server-side apply cannot make
   * (fields a mutating webhook added belong to no manager), or a refusal
   * that writes nothing. Runs on create and update.
   */
  beforeApply?(ctx: { k: Kube; obj: KubeObject; args: A; previous?: A; label: string }): Promise<void>;
}

/** What a kind's wait gets: the object written, where to reach it, the deadline and where to report. */
export interface AwaitContext<A> {
  io: ClusterIO;
  ref: ObjectRef;
  args: A;
  /** metadata.generation of the object as the apply left it. */
  generation: number;
  /** metadata.resourceVersion the apply returned: what a watch of the object must have seen before it decides. */
  resourceVersion?: string;
  deadline: Deadline;
  label: string;
  progress: Progress;
  /** The previous inputs, on update. */
  previous?: A;
}

/** A kind's wait: resolves with the live object once it is done, throws when it failed or timed out. */
export type Awaiter<A> = (ctx: AwaitContext<A>) => Promise<KubeObject>;

/** The wait of most kinds: `readiness` over a watch of the object, from the written generation on. */
export function awaitReady<A>(readiness: (obj: KubeObject) => Readiness): Awaiter<A> {
  return async (ctx) => {
    let last: Readiness = { state: "pending", message: "waiting for kpack" };
    let observed: number | undefined;
    const obj = await ctx.io
      .waitUntil(
        ctx.ref,
        (o) => {
          if (!o) return true;
          observed = status(o).observedGeneration;
          last = readiness(o);
          if (last.state === "pending") ctx.progress.status(last.message);
          return last.state !== "pending";
        },
        ctx.deadline,
        "for kpack to report it ready",
        ctx.resourceVersion,
      )
      .catch((e: unknown) => {
        if (!(e instanceof TimeoutError)) throw e;
        throw e.restate(ctx.label, e.what, last.state === "pending" ? last.message : undefined, notObservedAdvice(ctx.generation, observed));
      });
    if (!obj) throw new Error(`${ctx.label}: it was deleted while waiting for it to become ready.`);
    const final = last as Readiness;
    if (final.state === "failed") throw new Error(`${ctx.label}: kpack reports it not ready: ${final.message}.`);
    return obj;
  };
}

export function refFor<A extends CommonInputs>(def: KindDefinition<A>, name: string, namespace: string | undefined): ObjectRef {
  return { apiVersion: KPACK_API_VERSION, kind: def.kind, name, namespace: def.namespaced ? (namespace ?? DEFAULT_NAMESPACE) : undefined };
}

export function idFor(ref: ObjectRef): string {
  return ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
}

function refOfId<A extends CommonInputs>(def: KindDefinition<A>, id: string): ObjectRef {
  const [ns, name] = id.includes("/") ? id.split("/", 2) : [undefined, id];
  return refFor(def, name, ns);
}

/** The object written for validated args. */
export function toObject<A extends CommonInputs>(def: KindDefinition<A>, args: A): KubeObject {
  const m = def.manifest(args);
  const ref = refFor(def, args.name ?? "", args.namespace);
  return {
    apiVersion: ref.apiVersion,
    kind: ref.kind,
    metadata: {
      name: ref.name,
      ...(ref.namespace ? { namespace: ref.namespace } : {}),
      labels: { ...MANAGED_BY, ...(m.labels ?? {}) },
      ...(m.annotations || args.resourceUrn
        ? { annotations: { ...(m.annotations ?? {}), ...(args.resourceUrn ? { [RESOURCE_ANNOTATION]: args.resourceUrn } : {}) } }
        : {}),
    },
    spec: m.spec,
  };
}

/**
 * Before a create: an object of the same name that this resource did not
 * make (kubectl, kp, another program) is taken over only when asked (adopt);
 * one it made (a create retried after an interrupted `up`) is its own.
 * True when the create takes an object over.
 */
async function takesOver<A extends CommonInputs>(k: Kube, ref: ObjectRef, args: A, label: string, progress: Progress): Promise<boolean> {
  const existing = await get(k, ref);
  if (!existing) return false;
  const urn = existing.metadata?.annotations?.[RESOURCE_ANNOTATION];
  if (urn !== undefined && urn === args.resourceUrn) return false;
  const who = madeBy(existing);
  if (!args.adopt) {
    throw new Error(
      `${label}: ${describe(ref)} already exists, and this resource did not make it (made by ${who}). Nothing was changed. ` +
        `To take it over, keeping its status and build history, set adopt: true on this resource; otherwise give the resource another name.`,
    );
  }
  progress.info(`taking over ${describe(ref)} (made by ${who}): its status and build history stay`);
  return true;
}

/** Marks a companion as ours and as this resource's: the owner decides who may update or delete it. */
export const OWNER_ANNOTATION = "pulumi-kpack.io/owner";

/** The companions of args, labelled and annotated with their owner (`<Kind> <id>`). */
export function companionsOf<A extends CommonInputs>(def: KindDefinition<A>, args: A, owner: string): KubeObject[] {
  return (def.companions?.(args) ?? []).map((c) => ({
    ...c,
    metadata: {
      ...c.metadata,
      labels: { ...MANAGED_BY, ...(c.metadata?.labels ?? {}) },
      annotations: { ...(c.metadata?.annotations ?? {}), [OWNER_ANNOTATION]: owner },
    },
  }));
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
    // Companions are the provider's own (owner annotation checked above): take their fields back.
    await apply(k, o, { force: true }).catch((e: Error) => {
      throw new Error(`${lbl}: ${e.message}`);
    });
  }
}

/** Deletes companions (in reverse apply order) that are still this owner's; anything else is left alone. */
async function releaseCompanions(k: Kube, objs: KubeObject[], owner: string, lbl: string, deadline: Deadline): Promise<void> {
  for (const o of [...objs].reverse()) {
    const ref = refOf(o);
    const live = await get(k, ref);
    if (!live || live.metadata?.annotations?.[OWNER_ANNOTATION] !== owner) continue;
    await deleteAndWait(k, ref, deadline.remainingMs()).catch((e: Error) => {
      throw new Error(`${lbl}: ${e.message}`);
    });
  }
}

/** The shared lifecycle's view of a kpack object kind. */
export function defineKind<A extends CommonInputs>(def: KindDefinition<A>): ResourceDefinition<A> & { object: KindDefinition<A> } {
  const awaiter = def.await ?? awaitReady<A>(readyCondition);
  return {
    kind: def.kind,
    schema: def.schema,
    replaceOn: def.replaceOn ?? [],
    naming: { namespaced: def.namespaced, maxNameLength: def.maxNameLength },
    object: def,
    describeChange: def.describeChange,
    describeRefresh: def.describeRefresh,
    transitionProblems: def.transitionProblems,

    async apply(args: A, op: Operation<A>) {
      const k = op.kube;
      const obj = toObject(def, args);
      const ref = refOf(obj);
      const id = idFor(ref);
      await ensureKpack(k, args.installKpack, op.progress, op.deadline).catch((e: unknown) => {
        throw new Error(`${op.label}: making sure kpack is installed failed: ${userMessage(e)}`);
      });
      // Before any write: a refused take-over writes nothing.
      const adopting = !op.previous && (await takesOver(k, ref, args, op.label, op.progress));
      const owner = `${def.kind} ${id}`;
      const companions = companionsOf(def, args, owner);
      await applyCompanions(k, companions, owner, op.label);
      const io = clusterIO(k);
      if (!op.previous && def.beforeCreate) await def.beforeCreate({ io, ref, args, deadline: op.deadline, label: op.label, progress: op.progress });
      if (def.beforeApply) await def.beforeApply({ k, obj, args, previous: op.previous, label: op.label });
      const applied = await apply(k, obj, { force: args.forceConflicts === true || adopting });
      if (adopting) await soleOwner(k, applied);
      const written = { namespace: ref.namespace, ...def.outputs(applied) };
      try {
        if (op.previous) {
          // After the object moved off them, and before the wait (a failed wait would forget the old args).
          const keep = new Set(companions.map(refKey));
          const stale = companionsOf(def, op.previous, owner).filter((o) => !keep.has(refKey(o)));
          await releaseCompanions(k, stale, owner, op.label, op.deadline);
        }
        if (args.skipAwait) return { id, outputs: written };
        const live = await awaiter({
          io,
          ref,
          args,
          generation: applied.metadata?.generation ?? 0,
          resourceVersion: applied.metadata?.resourceVersion,
          deadline: op.deadline,
          label: op.label,
          progress: op.progress,
          previous: op.previous,
        });
        const outputs = { ...def.outputs(live), ...(await def.moreOutputs?.(k, live)) };
        // The last status line stays next to the resource in `pulumi up`: end on the result.
        op.progress.status(typeof outputs.latestImage === "string" && outputs.latestImage ? `ready: ${outputs.latestImage}` : "ready");
        return { id, outputs: { namespace: ref.namespace, ...outputs } };
      } catch (e) {
        // The object exists now: Pulumi keeps it in the state, and the next `up` continues from it.
        throw new InitError(userMessage(e), id, compact({ ...op.props, ...written }));
      }
    },

    async read(id, _state, k) {
      const live = await get(k, refOfId(def, id));
      return live ? { ...def.outputs(live), ...(await def.moreOutputs?.(k, live)) } : undefined;
    },

    async remove(id, _state, args, op) {
      await deleteAndWait(op.kube, refOfId(def, id), op.deadline.remainingMs());
      if (args) await releaseCompanions(op.kube, companionsOf(def, args, `${def.kind} ${id}`), `${def.kind} ${id}`, op.label, op.deadline);
    },
  };
}
