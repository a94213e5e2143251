import * as pulumi from "@pulumi/pulumi";
import type { ConditionOutput } from "../schema/common";
import type { clusterStack } from "../schema/cluster-stack";
import type { ArgsOf } from "./args";
import { KpackResource } from "./resource";

/**
 * Args of a ClusterStack: the fields of schema/cluster-stack.ts, each a Pulumi Input.
 * @interface
 */
export type ClusterStackArgs = ArgsOf<typeof clusterStack.args>;

const outputKeys = ["ready", "resolvedBuildImage", "resolvedRunImage", "mixins", "userId", "groupId", "conditions"] as const;

/**
 * ClusterStack (kpack.io/v1alpha2, cluster-scoped): the build and run base
 * images every builder on that stack uses. kpack resolves both tags to digests
 * and checks that they carry `io.buildpacks.stack.id` equal to `stackId`.
 * Args: schema/cluster-stack.ts.
 */
export class ClusterStack extends KpackResource {
  /** Marks the kind, so a ClusterStack can be passed where a stack name is expected (see sdk/refs.ts). */
  readonly kpackKind = "ClusterStack" as const;
  /** The stack id (spec.id), as given. */
  declare readonly stackId: pulumi.Output<string>;
  /** The build image reference as given (spec.buildImage.image); resolvedBuildImage is the digest-pinned one. */
  declare readonly buildImage: pulumi.Output<string>;
  /** The run image reference as given (spec.runImage.image); resolvedRunImage is the digest-pinned one. */
  declare readonly runImage: pulumi.Output<string>;
  /** True once kpack reports Ready at the current generation. */
  declare readonly ready: pulumi.Output<boolean>;
  /** The build image kpack resolved, digest-pinned (status.buildImage.latestImage). */
  declare readonly resolvedBuildImage: pulumi.Output<string | undefined>;
  /** The run image kpack resolved, digest-pinned (status.runImage.latestImage). */
  declare readonly resolvedRunImage: pulumi.Output<string | undefined>;
  /** The stack's mixins (status.mixins), from the `io.buildpacks.stack.mixins` labels of the build and run images. */
  declare readonly mixins: pulumi.Output<string[] | undefined>;
  /** The user id builds run as (status.userId), the build image's `CNB_USER_ID`. */
  declare readonly userId: pulumi.Output<number | undefined>;
  /** The group id builds run as (status.groupId), the build image's `CNB_GROUP_ID`. */
  declare readonly groupId: pulumi.Output<number | undefined>;
  /** The conditions kpack reports (status.conditions), e.g. Ready with its reason and message; `[]` until kpack writes any. */
  declare readonly conditions: pulumi.Output<ConditionOutput[] | undefined>;

  constructor(name: string, args: ClusterStackArgs, opts?: pulumi.CustomResourceOptions) {
    super("ClusterStack", name, args, outputKeys, opts);
  }
}
