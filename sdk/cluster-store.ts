import * as pulumi from "@pulumi/pulumi";
import type { BuildpackInfo, ConditionOutput } from "../schema/common";
import type { clusterStore } from "../schema/cluster-store";
import type { ArgsOf } from "./args";
import { KpackResource } from "./resource";

/**
 * Args of a ClusterStore: the fields of schema/cluster-store.ts, each a Pulumi Input.
 * @interface
 */
export type ClusterStoreArgs = ArgsOf<typeof clusterStore.args>;

const outputKeys = ["ready", "buildpacks", "conditions"] as const;

/**
 * ClusterStore (kpack.io/v1alpha2, cluster-scoped): a set of buildpackage
 * images whose buildpacks every builder may use by id. Args: schema/cluster-store.ts.
 */
export class ClusterStore extends KpackResource {
  /** Marks the kind, so a ClusterStore can be passed where a store name is expected (see sdk/refs.ts). */
  readonly kpackKind = "ClusterStore" as const;
  /** The buildpackage images (spec.sources), as given. */
  declare readonly sources: pulumi.Output<{ image: string }[]>;
  /** True once kpack reports Ready at the current generation. */
  declare readonly ready: pulumi.Output<boolean>;
  /** The buildpacks kpack found in the sources (status.buildpacks), as id and version. */
  declare readonly buildpacks: pulumi.Output<BuildpackInfo[] | undefined>;
  /** The conditions kpack reports (status.conditions), e.g. Ready with its reason and message; `[]` until kpack writes any. */
  declare readonly conditions: pulumi.Output<ConditionOutput[] | undefined>;

  constructor(name: string, args: ClusterStoreArgs, opts?: pulumi.CustomResourceOptions) {
    super("ClusterStore", name, args, outputKeys, opts);
  }
}
