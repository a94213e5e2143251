import * as pulumi from "@pulumi/pulumi";
import type { BuildpackInfo, ConditionOutput } from "../schema/common";
import type { clusterBuildpack } from "../schema/cluster-buildpack";
import type { ArgsOf } from "./args";
import { KpackResource } from "./resource";

/**
 * ClusterBuildpack (kpack.io/v1alpha2, cluster-scoped): one buildpackage
 * image whose buildpacks any builder may use. Args: schema/cluster-buildpack.ts.
 */
export type ClusterBuildpackArgs = ArgsOf<typeof clusterBuildpack.args>;

const outputKeys = ["ready", "buildpacks", "conditions"] as const;

export class ClusterBuildpack extends KpackResource {
  readonly kpackKind = "ClusterBuildpack" as const;
  declare readonly image: pulumi.Output<string>;
  /** True once kpack reports Ready at the current generation. */
  declare readonly ready: pulumi.Output<boolean>;
  /** The buildpacks kpack found in the image (status.buildpacks), as id and version. */
  declare readonly buildpacks: pulumi.Output<BuildpackInfo[] | undefined>;
  declare readonly conditions: pulumi.Output<ConditionOutput[] | undefined>;

  constructor(name: string, args: ClusterBuildpackArgs, opts?: pulumi.CustomResourceOptions) {
    super("ClusterBuildpack", name, args, outputKeys, opts);
  }
}
