import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import {
  ArgsOf,
  BuildpackInfo,
  commonInputs,
  ConditionOutput,
  Inputs,
  internalInputs,
  labels,
  namespaceInput,
  objectName,
  objectNameOf,
  required,
  tagReference,
} from "./common";
import { isKpackObject, KpackObject, mapInput, NameRef, refKindName, Referrer, refName } from "./refs";
import { KpackResource } from "./resource";
import { oneServiceAccount, registryServiceAccountSchema } from "./serviceAccount";

/**
 * Builder (kpack.io/v1alpha2, namespaced) and the parts it shares with
 * ClusterBuilder (sdk/clusterBuilder.ts): kpack assembles a builder image from
 * a ClusterStack, a lifecycle and buildpacks in the given order, pushes it to
 * `tag`, and Images of the namespace build with it.
 */

/** The lifecycle kpack uses when a builder names none (shipped with kpack). */
export const DEFAULT_LIFECYCLE = "default-lifecycle";

/** One buildpack of an order group; `kinds` are the buildpack kinds the builder may reference. */
export function buildpackEntrySchema<K extends readonly [string, ...string[]]>(kinds: K, kindProblem: string) {
  const byId = z
    .object({
      kind: z.undefined().optional(),
      /** Buildpack id, e.g. `paketo-buildpacks/java`: looked up in Buildpacks, ClusterBuildpacks and the store. */
      id: z
        .string(required("a buildpack id such as paketo-buildpacks/java, or kind and name of a buildpack object"))
        .min(1, "must not be empty: give a buildpack id such as paketo-buildpacks/java"),
      /** Buildpack version. Default: the highest version found. */
      version: z.string().min(1, "must not be empty; leave it out for the highest version").optional(),
      /** Detection may skip this buildpack without failing the group. */
      optional: z.boolean().optional(),
      name: z.never({ error: `needs a kind next to it (${kinds.map((k) => `"${k}"`).join(" or ")}), or give a buildpack id instead` }).optional(),
      image: z
        .never({ error: "kpack does not support image entries in a builder order (its webhook rejects them). Use id, or kind and name of a Buildpack/ClusterBuildpack that points at the image" })
        .optional(),
    })
    .strict();
  const byRef = z
    .object({
      /** Kind of the buildpack object. */
      kind: z.enum(kinds),
      /** Name of the buildpack object. */
      name: objectNameOf("the name of the buildpack object"),
      /** Id of one buildpack inside the object (for buildpackages with several). Default: its root buildpack. */
      id: z.string().min(1, "must not be empty; leave it out to use the object's root buildpack").optional(),
      /** Version of that buildpack. Default: the highest version found. */
      version: z.string().min(1, "must not be empty; leave it out for the highest version").optional(),
      /** Detection may skip this buildpack without failing the group. */
      optional: z.boolean().optional(),
    })
    .strict();
  return z.discriminatedUnion("kind", [byId, byRef], {
    error: (iss) => (iss.code === "invalid_union" ? kindProblem : undefined),
  });
}

/** The order of buildpack groups; detection picks the first group that passes. */
export function orderSchema<E extends z.ZodType>(entry: E) {
  return z
    .array(
      z
        .object({
          group: z
            .array(entry, required('the buildpacks of this group, e.g. {group: [{id: "paketo-buildpacks/java"}]}'))
            .min(1, 'must list at least one buildpack, e.g. [{id: "paketo-buildpacks/java"}]'),
        })
        .strict(),
      required('at least one group of buildpacks, e.g. [{group: [{id: "paketo-buildpacks/java"}]}]'),
    )
    .min(1, 'must have at least one group of buildpacks, e.g. [{group: [{id: "paketo-buildpacks/java"}]}]');
}

const builderBuildpackEntry = buildpackEntrySchema(
  ["Buildpack", "ClusterBuildpack"] as const,
  'must be "Buildpack" or "ClusterBuildpack" (or leave kind out and give a buildpack id)',
);
export type BuilderBuildpackEntry = z.infer<typeof builderBuildpackEntry>;

/** Spec fields Builder and ClusterBuilder share. */
export const builderSpecShape = {
  /** Where kpack pushes the builder image (spec.tag), e.g. `registry.example.com/builders/java`. */
  tag: tagReference,
  /** Name of the ClusterStack to build on (spec.stack). */
  stack: objectNameOf("the name of a ClusterStack (or pass the ClusterStack resource)"),
  /** Name of a ClusterStore whose buildpacks the order may use by id (spec.store). Default: none. */
  store: objectName.optional(),
  /** Name of the ClusterLifecycle (spec.lifecycle). Default: `default-lifecycle`, which kpack ships. */
  lifecycle: objectName.optional(),
  /** Labels kpack adds to the builder image (spec.additionalLabels). */
  additionalLabels: labels.optional(),
};

export const builderSchema = z
  .object({
    ...commonInputs,
    /** Namespace of the Builder; Images use it from the same namespace. Default: `default`. */
    namespace: namespaceInput,
    ...builderSpecShape,
    /** Buildpack groups (spec.order), e.g. `[{group: [{id: "paketo-buildpacks/java"}]}]`. */
    order: orderSchema(builderBuildpackEntry),
    /** An existing ServiceAccount (same namespace) whose secrets kpack uses to push the builder and pull its parts. Default: `default`. Not with managedServiceAccount. */
    serviceAccountName: objectName.optional(),
    /**
     * A ServiceAccount pulumi-kpack makes for this Builder, holding `registryCredentials`
     * (`[{registry, username, password}]`) and/or `dockerConfigJson` as Secrets kpack reads;
     * `name` defaults to `<builder name>-builder`. Credentials are kept secret in state. Not with serviceAccountName.
     */
    managedServiceAccount: registryServiceAccountSchema.optional(),
  })
  .strict()
  .superRefine(oneServiceAccount("serviceAccountName"));

/** Checked inputs as the provider sees them. */
export const builderInputs = builderSchema.extend({ ...internalInputs, autoNamed: z.boolean().optional() }).strict();
export type BuilderInputs = z.infer<typeof builderInputs>;

/** An order entry given as a Buildpack or ClusterBuildpack resource. */
export interface BuildpackResourceEntry<K extends string> {
  /** The buildpack resource: its root buildpack, or the one `id` picks. */
  buildpack: KpackObject<K>;
  /** Id of one buildpack inside it (for buildpackages with several). */
  id?: pulumi.Input<string>;
  /** Version of that buildpack. Default: the highest version found. */
  version?: pulumi.Input<string>;
  /** Detection may skip this buildpack without failing the group. */
  optional?: pulumi.Input<boolean>;
}

/** The order with entries in plain form (`{id}` or `{kind, name}`) or as buildpack resources (`{buildpack}`). */
export type OrderArgs<E, K extends string> = pulumi.Input<
  ReadonlyArray<pulumi.Input<{ group: pulumi.Input<ReadonlyArray<Inputs<E> | BuildpackResourceEntry<K>>> }>>
>;

/** References a builder may give as names or as the resources themselves. */
export interface BuilderRefArgs<K extends string, E> {
  /** The ClusterStack to build on: its name or the ClusterStack resource. */
  stack: NameRef<"ClusterStack">;
  /** A ClusterStore whose buildpacks the order may use by id: its name or the resource. Default: none. */
  store?: NameRef<"ClusterStore">;
  /** The ClusterLifecycle: its name or the resource. Default: `default-lifecycle`. */
  lifecycle?: NameRef<"ClusterLifecycle">;
  /**
   * Buildpack groups in detection order. Each entry is `{id, version?, optional?}`,
   * `{kind, name, ...}` or `{buildpack: <resource>, ...}`.
   */
  order: OrderArgs<E, K>;
}

export type BuilderArgs = Omit<ArgsOf<typeof builderSchema>, keyof BuilderRefArgs<string, unknown>> &
  BuilderRefArgs<"Buildpack" | "ClusterBuildpack", BuilderBuildpackEntry>;

/** Turns resource references of a builder's args into names, for the provider. */
export function builderRefs<K extends string>(args: BuilderRefArgs<K, unknown>, by: Referrer, buildpackKinds: readonly K[]): Record<string, unknown> {
  const entry = (e: unknown, path: string): unknown => {
    if (e === null || typeof e !== "object" || !("buildpack" in e) || !isKpackObject((e as { buildpack: unknown }).buildpack)) return e;
    const { buildpack, ...rest } = e as BuildpackResourceEntry<K>;
    const ref = refKindName(buildpack, buildpackKinds, by, `${path}.buildpack`) as { kind: string; name: pulumi.Input<string> };
    return { kind: ref.kind, name: ref.name, ...rest };
  };
  // Anything that is not the expected shape passes through unchanged, for the provider's check to report.
  const order = mapInput(args.order as pulumi.Input<readonly unknown[]>, (groups) =>
    !Array.isArray(groups) ? groups : groups.map((g, i) =>
      mapInput(g as pulumi.Input<{ group: pulumi.Input<readonly unknown[]> }>, (gg) =>
        gg && typeof gg === "object" && "group" in gg
          ? { ...gg, group: mapInput(gg.group, (entries) => (Array.isArray(entries) ? entries.map((e, j) => mapInput(e, (ee) => entry(ee, `order[${i}].group[${j}]`))) : entries)) }
          : gg,
      ),
    ),
  );
  return {
    stack: refName(args.stack, ["ClusterStack"], by, "stack"),
    store: refName(args.store, ["ClusterStore"], by, "store"),
    lifecycle: refName(args.lifecycle, ["ClusterLifecycle"], by, "lifecycle"),
    order,
  };
}

/** Outputs Builder and ClusterBuilder share. */
export const builderOutputKeys = ["ready", "upToDate", "latestImage", "buildpacks", "resolvedStack", "conditions"] as const;

/** Outputs Builder and ClusterBuilder share, declared once. */
export abstract class BuilderResource extends KpackResource {
  declare readonly tag: pulumi.Output<string>;
  /** Name of the ClusterStack. */
  declare readonly stack: pulumi.Output<string>;
  /** True once kpack reports Ready at the current generation: the builder image exists and Images can use it. */
  declare readonly ready: pulumi.Output<boolean>;
  /** True when kpack's last reconcile of the current spec succeeded (the UpToDate condition). */
  declare readonly upToDate: pulumi.Output<boolean>;
  /** The builder image, digest-pinned (status.latestImage). */
  declare readonly latestImage: pulumi.Output<string | undefined>;
  /** Buildpacks in the builder image (status.builderMetadata). */
  declare readonly buildpacks: pulumi.Output<BuildpackInfo[] | undefined>;
  /** The stack the builder image was built on (status.stack): stack id and digest-pinned run image. */
  declare readonly resolvedStack: pulumi.Output<{ id?: string; runImage?: string } | undefined>;
  declare readonly conditions: pulumi.Output<ConditionOutput[] | undefined>;
}

export class Builder extends BuilderResource {
  /** Marks the kind, so a Builder can be passed where an Image expects a builder (see sdk/refs.ts). */
  readonly kpackKind = "Builder" as const;
  /** Namespace of the Builder. */
  declare readonly namespace: pulumi.Output<string>;

  constructor(name: string, args: BuilderArgs, opts?: pulumi.CustomResourceOptions) {
    const by: Referrer = { kind: "Builder", logicalName: name, namespace: args.namespace };
    super("Builder", name, { ...args, ...builderRefs(args, by, ["Buildpack", "ClusterBuildpack"]) }, [...builderOutputKeys, "namespace"], opts);
  }
}
