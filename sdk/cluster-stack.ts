import * as pulumi from "@pulumi/pulumi";
import type { ConditionOutput } from "../schema/common";
import type { clusterStack } from "../schema/cluster-stack";
import type { ArgsOf } from "./args";
import { KpackResource } from "./resource";

/**
 * ClusterStack (kpack.io/v1alpha2, cluster-scoped): the build and run base
 * images every builder on that stack uses. kpack resolves both tags to digests
 * and checks that they carry `io.buildpacks.stack.id` equal to `stackId`.
 * Args: schema/cluster-stack.ts.
 */
export type ClusterStackArgs = ArgsOf<typeof clusterStack.args>;

const outputKeys = ["ready", "resolvedBuildImage", "resolvedRunImage", "mixins", "userId", "groupId", "conditions"] as const;

export class ClusterStack extends KpackResource {
  /** Marks the kind, so a ClusterStack can be passed where a stack name is expected (see sdk/refs.ts). */
  readonly kpackKind = "ClusterStack" as const;
  declare readonly stackId: pulumi.Output<string>;
  declare readonly buildImage: pulumi.Output<string>;
  declare readonly runImage: pulumi.Output<string>;
  /** True once kpack reports Ready at the current generation. */
  declare readonly ready: pulumi.Output<boolean>;
  /** The build image kpack resolved, digest-pinned (status.buildImage.latestImage). */
  declare readonly resolvedBuildImage: pulumi.Output<string | undefined>;
  /** The run image kpack resolved, digest-pinned (status.runImage.latestImage). */
  declare readonly resolvedRunImage: pulumi.Output<string | undefined>;
  declare readonly mixins: pulumi.Output<string[] | undefined>;
  declare readonly userId: pulumi.Output<number | undefined>;
  declare readonly groupId: pulumi.Output<number | undefined>;
  declare readonly conditions: pulumi.Output<ConditionOutput[] | undefined>;

  constructor(name: string, args: ClusterStackArgs, opts?: pulumi.CustomResourceOptions) {
    super("ClusterStack", name, args, outputKeys, opts);
  }
}
