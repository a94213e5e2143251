import * as pulumi from "@pulumi/pulumi";
import type { ConditionOutput } from "../schema/common";
import type { clusterLifecycle, LifecycleApis } from "../schema/cluster-lifecycle";
import type { ArgsOf } from "./args";
import { KpackResource } from "./resource";

/**
 * Args of a ClusterLifecycle: the fields of schema/cluster-lifecycle.ts, each a Pulumi Input.
 * @interface
 */
export type ClusterLifecycleArgs = ArgsOf<typeof clusterLifecycle.args>;
export type { LifecycleApis };

const outputKeys = ["ready", "resolvedImage", "version", "api", "apis", "conditions"] as const;

/**
 * ClusterLifecycle (kpack.io/v1alpha2, cluster-scoped): a buildpacks lifecycle
 * image builders use. Args: schema/cluster-lifecycle.ts.
 */
export class ClusterLifecycle extends KpackResource {
  /** Marks the kind, so a ClusterLifecycle can be passed where a lifecycle name is expected (see sdk/refs.ts). */
  readonly kpackKind = "ClusterLifecycle" as const;
  /** The lifecycle image reference as given (spec.image); resolvedImage is the digest-pinned one. */
  declare readonly image: pulumi.Output<string>;
  /** True once kpack reports Ready at the current generation. */
  declare readonly ready: pulumi.Output<boolean>;
  /** The lifecycle image kpack resolved, digest-pinned (status.image.latestImage). */
  declare readonly resolvedImage: pulumi.Output<string | undefined>;
  /** Lifecycle version (status.version), e.g. `0.20.5`. */
  declare readonly version: pulumi.Output<string | undefined>;
  /** The lifecycle's default buildpack and platform API versions (status.api). */
  declare readonly api: pulumi.Output<{ buildpack?: string; platform?: string } | undefined>;
  /** Deprecated and supported buildpack and platform APIs (status.apis). */
  declare readonly apis: pulumi.Output<LifecycleApis | undefined>;
  /** The conditions kpack reports (status.conditions), e.g. Ready with its reason and message; `[]` until kpack writes any. */
  declare readonly conditions: pulumi.Output<ConditionOutput[] | undefined>;

  constructor(name: string, args: ClusterLifecycleArgs, opts?: pulumi.CustomResourceOptions) {
    super("ClusterLifecycle", name, args, outputKeys, opts);
  }
}
