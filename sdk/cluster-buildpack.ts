import * as pulumi from "@pulumi/pulumi";
import type { BuildpackInfo, ConditionOutput } from "../schema/common";
import type { clusterBuildpack } from "../schema/cluster-buildpack";
import type { ArgsOf } from "./args";
import { KpackResource } from "./resource";

/**
 * Args of a ClusterBuildpack: the fields of schema/cluster-buildpack.ts, each a Pulumi Input.
 * @interface
 */
export type ClusterBuildpackArgs = ArgsOf<typeof clusterBuildpack.args>;

const outputKeys = ["ready", "buildpacks", "conditions"] as const;

/**
 * ClusterBuildpack (kpack.io/v1alpha2, cluster-scoped): one buildpackage
 * image whose buildpacks any builder may use. Args: schema/cluster-buildpack.ts.
 */
export class ClusterBuildpack extends KpackResource {
  /** Marks the kind, so a ClusterBuildpack can be passed as a buildpack in a builder's order (see sdk/refs.ts). */
  readonly kpackKind = "ClusterBuildpack" as const;
  /** The buildpackage image reference (spec.image), as given. */
  declare readonly image: pulumi.Output<string>;
  /** True once kpack reports Ready at the current generation. */
  declare readonly ready: pulumi.Output<boolean>;
  /** The buildpacks kpack found in the image (status.buildpacks), as id and version. */
  declare readonly buildpacks: pulumi.Output<BuildpackInfo[] | undefined>;
  /** The conditions kpack reports (status.conditions), e.g. Ready with its reason and message; `[]` until kpack writes any. */
  declare readonly conditions: pulumi.Output<ConditionOutput[] | undefined>;

  constructor(name: string, args: ClusterBuildpackArgs, opts?: pulumi.CustomResourceOptions) {
    super("ClusterBuildpack", name, args, outputKeys, opts);
  }
}
