import * as pulumi from "@pulumi/pulumi";
import type { BuildpackInfo, ConditionOutput } from "../schema/common";
import type { builder, BuilderBuildpackEntry } from "../schema/builder";
import type { ArgsOf, Inputs } from "./args";
import { isKpackObject, KpackObject, mapInput, NameRef, refKindName, Referrer, refName } from "./refs";
import { KpackResource } from "./resource";

/**
 * Builder (kpack.io/v1alpha2, namespaced) and the parts of its class that
 * ClusterBuilder (sdk/cluster-builder.ts) shares: references given as
 * resources, and the declared outputs. Args: schema/builder.ts.
 */
export type { BuilderBuildpackEntry };

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

/**
 * Args of a Builder: the fields of schema/builder.ts, each a Pulumi Input, with stack, store, lifecycle and order entries also taking the resources (BuilderRefArgs).
 * @interface
 */
export type BuilderArgs = Omit<ArgsOf<typeof builder.args>, keyof BuilderRefArgs<string, unknown>> &
  BuilderRefArgs<"Buildpack" | "ClusterBuildpack", BuilderBuildpackEntry>;

/** Turns resource references of a builder's args into names, for the provider. */
export function builderRefs<K extends string>(args: BuilderRefArgs<K, unknown>, by: Referrer, buildpackKinds: readonly K[]): Record<string, unknown> {
  const entry = (e: unknown, path: string): unknown => {
    if (e === null || typeof e !== "object" || !("buildpack" in e) || !isKpackObject(e.buildpack)) return e;
    const { buildpack, ...rest } = e as BuildpackResourceEntry<K>;
    const ref = refKindName(buildpack, buildpackKinds, by, `${path}.buildpack`) as { kind: string; name: pulumi.Input<string> };
    return { kind: ref.kind, name: ref.name, ...rest };
  };
  // Anything that is not the expected shape passes through unchanged, for the provider's check to report.
  const order = mapInput(args.order as pulumi.Input<readonly unknown[]>, (groups) =>
    !Array.isArray(groups)
      ? groups
      : groups.map((g, i) =>
          mapInput(g as pulumi.Input<{ group: pulumi.Input<readonly unknown[]> }>, (gg) =>
            gg && typeof gg === "object" && "group" in gg
              ? {
                  ...gg,
                  group: mapInput(gg.group, (entries) =>
                    Array.isArray(entries) ? entries.map((e, j) => mapInput(e, (ee) => entry(ee, `order[${i}].group[${j}]`))) : entries,
                  ),
                }
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
  /** Where kpack pushes the builder image (spec.tag), as given; latestImage is the digest-pinned result. */
  declare readonly tag: pulumi.Output<string>;
  /** Name of the ClusterStack. */
  declare readonly stack: pulumi.Output<string>;
  /** True once kpack reports Ready at the current generation: the builder image exists and Images can use it. */
  declare readonly ready: pulumi.Output<boolean>;
  /** True when kpack's last reconcile of the current spec succeeded (the UpToDate condition). */
  declare readonly upToDate: pulumi.Output<boolean>;
  /** The builder image, digest-pinned (status.latestImage). Empty (`""`) only with `skipAwait`, before kpack has built it. */
  declare readonly latestImage: pulumi.Output<string>;
  /** Buildpacks in the builder image (status.builderMetadata). */
  declare readonly buildpacks: pulumi.Output<BuildpackInfo[] | undefined>;
  /** The stack the builder image was built on (status.stack): stack id and digest-pinned run image. */
  declare readonly resolvedStack: pulumi.Output<{ id?: string; runImage?: string } | undefined>;
  /** The conditions kpack reports (status.conditions): Ready and UpToDate, with their reasons and messages; `[]` until kpack writes any. */
  declare readonly conditions: pulumi.Output<ConditionOutput[] | undefined>;
}

/**
 * Builder (kpack.io/v1alpha2, namespaced): kpack assembles a builder image from
 * a ClusterStack, a lifecycle and buildpacks in the given order, pushes it to
 * `tag`, and Images of the same namespace build with it. Args: schema/builder.ts.
 */
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
