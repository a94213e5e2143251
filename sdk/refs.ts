import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_NAMESPACE } from "../schema/common";

/**
 * References between kpack objects. Where kpack takes the name of another
 * object (a Builder's stack, store, lifecycle and buildpacks; an Image's
 * builder), a program may pass either that name or the pulumi-kpack resource
 * itself. Passing the resource orders the graph: Pulumi creates (and waits for)
 * it first, and replaces it under a new name before this one is updated.
 *
 * The zod schemas only know the plain form (names); the SDK classes turn a
 * resource into its `name` output (and its kind) before the inputs reach the
 * provider, so the provider never sees a resource object.
 */

/** A pulumi-kpack resource of kind K; each referencable class sets `kpackKind`. */
export interface KpackObject<K extends string = string> {
  /** The kpack kind of the resource, e.g. "ClusterStack". */
  readonly kpackKind: K;
  /** Name of the kpack object in the cluster. */
  readonly name: pulumi.Output<string>;
}

/** A namespaced pulumi-kpack resource (Builder, Buildpack). */
export interface NamespacedKpackObject<K extends string = string> extends KpackObject<K> {
  readonly namespace: pulumi.Output<string>;
}

/** A name, or the pulumi-kpack resource of one of the kinds K. */
export type NameRef<K extends string> = pulumi.Input<string> | KpackObject<K>;

/** Kinds whose objects live in a namespace: a reference to one must stay in the referrer's namespace. */
const NAMESPACED = new Set(["Builder", "Buildpack", "Image"]);

/** Who refers: for error messages and the same-namespace rule. */
export interface Referrer {
  /** Kind of the resource that holds the reference, e.g. "Builder". */
  kind: string;
  /** Its Pulumi logical name. */
  logicalName: string;
  /** Its namespace input, for namespaced referrers. */
  namespace?: pulumi.Input<string | undefined>;
}

export function isKpackObject(v: unknown): v is KpackObject {
  return pulumi.Resource.isInstance(v) && typeof (v as { kpackKind?: unknown }).kpackKind === "string";
}

function isAsync(v: unknown): v is pulumi.Output<unknown> | Promise<unknown> {
  return pulumi.Output.isInstance(v) || (typeof v === "object" && v !== null && typeof (v as { then?: unknown }).then === "function");
}

/** Applies f to a value that may be an Output or Promise, keeping it an Input. */
export function mapInput<T, U>(v: pulumi.Input<T>, f: (t: T) => U): pulumi.Input<U> {
  // pulumi.output() of the result lifts Outputs inside it, and their secretness, into the result.
  if (isAsync(v)) return pulumi.output(v as pulumi.Input<T>).apply((t) => pulumi.output(f(t as T))) as pulumi.Output<unknown> as pulumi.Input<U>;
  return f(v);
}

function expectKind(ref: KpackObject, kinds: readonly string[], by: Referrer, field: string): void {
  if (!kinds.includes(ref.kpackKind)) {
    throw new Error(
      `${by.kind} ${by.logicalName}: ${field}: got a ${ref.kpackKind} resource, but kpack expects ${kinds.join(" or ")} here. Pass a ${kinds.join(" or ")} resource, or its name.`,
    );
  }
}

/**
 * The object's name, checked (when both namespaces are known) to be in the
 * referrer's namespace: kpack resolves a Builder or Buildpack reference only in
 * the namespace of the object that holds it.
 */
function nameOf(ref: KpackObject, by: Referrer, field: string): pulumi.Input<string> {
  if (!NAMESPACED.has(ref.kpackKind) || !("namespace" in ref)) return ref.name;
  const theirsOut = (ref as NamespacedKpackObject).namespace;
  return pulumi.all([ref.name, theirsOut, by.namespace]).apply(([name, theirs, ours]) => {
    const t = theirs ?? DEFAULT_NAMESPACE;
    const o = ours ?? DEFAULT_NAMESPACE;
    if (t !== o) {
      throw new Error(
        `${by.kind} ${by.logicalName}: ${field}: ${ref.kpackKind} ${t}/${name} is in namespace "${t}" but this ${by.kind} is in "${o}", ` +
          `and kpack looks a ${ref.kpackKind} up only in the ${by.kind}'s own namespace. Put both in the same namespace, or use a Cluster${ref.kpackKind}.`,
      );
    }
    return name;
  });
}

/** A plain name, or the name of a resource of one of the kinds. */
export function refName<K extends string>(ref: NameRef<K>, kinds: readonly K[], by: Referrer, field: string): pulumi.Input<string>;
export function refName<K extends string>(
  ref: NameRef<K> | undefined,
  kinds: readonly K[],
  by: Referrer,
  field: string,
): pulumi.Input<string> | undefined;
export function refName<K extends string>(
  ref: NameRef<K> | undefined,
  kinds: readonly K[],
  by: Referrer,
  field: string,
): pulumi.Input<string> | undefined {
  if (ref === undefined || !isKpackObject(ref)) return ref;
  expectKind(ref, kinds, by, field);
  return nameOf(ref, by, field);
}

/** A `{kind, name}` reference in plain form, or a resource of one of the kinds. */
export type KindRef<K extends string> = pulumi.Input<{ kind: pulumi.Input<K>; name: pulumi.Input<string> }> | KpackObject<K>;

/** `{kind, name}` from a plain reference (unchanged) or a resource. */
export function refKindName<K extends string>(
  ref: KindRef<K>,
  kinds: readonly K[],
  by: Referrer,
  field: string,
): pulumi.Input<{ kind: pulumi.Input<K>; name: pulumi.Input<string> }> {
  if (!isKpackObject(ref)) return ref;
  expectKind(ref, kinds, by, field);
  return { kind: ref.kpackKind, name: nameOf(ref, by, field) };
}
