import type * as pulumi from "@pulumi/pulumi";
import type { clusterBuilder, ClusterBuilderBuildpackEntry } from "../schema/cluster-builder";
import type { ArgsOf } from "./args";
import { BuilderRefArgs, BuilderResource, builderOutputKeys, builderRefs } from "./builder";
import { Referrer } from "./refs";

export type { ClusterBuilderBuildpackEntry };

type ClusterBuilderAllArgs = Omit<ArgsOf<typeof clusterBuilder.args>, keyof BuilderRefArgs<string, unknown>> &
  BuilderRefArgs<"ClusterBuildpack", ClusterBuilderBuildpackEntry>;

/** The args, with exactly one of serviceAccountRef and managedServiceAccount. */
export type ClusterBuilderArgs =
  | (Omit<ClusterBuilderAllArgs, "serviceAccountRef" | "managedServiceAccount"> &
      Required<Pick<ClusterBuilderAllArgs, "serviceAccountRef">> & { managedServiceAccount?: never })
  | (Omit<ClusterBuilderAllArgs, "serviceAccountRef" | "managedServiceAccount"> &
      Required<Pick<ClusterBuilderAllArgs, "managedServiceAccount">> & { serviceAccountRef?: never });

/**
 * ClusterBuilder (kpack.io/v1alpha2, cluster-scoped): a builder Images of any
 * namespace may use. Args: schema/cluster-builder.ts.
 */
export class ClusterBuilder extends BuilderResource {
  /** Marks the kind, so a ClusterBuilder can be passed where an Image expects a builder (see sdk/refs.ts). */
  readonly kpackKind = "ClusterBuilder" as const;

  constructor(name: string, args: ClusterBuilderArgs, opts?: pulumi.CustomResourceOptions) {
    const by: Referrer = { kind: "ClusterBuilder", logicalName: name };
    super("ClusterBuilder", name, { ...args, ...builderRefs(args, by, ["ClusterBuildpack"]) }, builderOutputKeys, opts);
  }
}
