import * as pulumi from "@pulumi/pulumi";
import type { BuildpackInfo, ConditionOutput } from "../schema/common";
import type { clusterStore } from "../schema/cluster-store";
import type { ArgsOf } from "./args";
import { KpackResource } from "./resource";

/**
 * ClusterStore (kpack.io/v1alpha2, cluster-scoped): a set of buildpackage
 * images whose buildpacks every builder may use by id. Args: schema/cluster-store.ts.
 */
export type ClusterStoreArgs = ArgsOf<typeof clusterStore.args>;

const outputKeys = ["ready", "buildpacks", "conditions"] as const;

export class ClusterStore extends KpackResource {
  readonly kpackKind = "ClusterStore" as const;
  declare readonly sources: pulumi.Output<{ image: string }[]>;
  /** True once kpack reports Ready at the current generation. */
  declare readonly ready: pulumi.Output<boolean>;
  /** The buildpacks kpack found in the sources (status.buildpacks), as id and version. */
  declare readonly buildpacks: pulumi.Output<BuildpackInfo[] | undefined>;
  declare readonly conditions: pulumi.Output<ConditionOutput[] | undefined>;

  constructor(name: string, args: ClusterStoreArgs, opts?: pulumi.CustomResourceOptions) {
    super("ClusterStore", name, args, outputKeys, opts);
  }
}
