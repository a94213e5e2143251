import * as pulumi from "@pulumi/pulumi";
import type { BuildpackInfo, ConditionOutput } from "../schema/common";
import type { buildpack } from "../schema/buildpack";
import type { ArgsOf } from "./args";
import { KpackResource } from "./resource";

/**
 * Buildpack (kpack.io/v1alpha2, namespaced): one buildpackage image whose
 * buildpacks the Builders of its namespace may use. Args: schema/buildpack.ts.
 */
export type BuildpackArgs = ArgsOf<typeof buildpack.args>;

// namespace is seeded too: the provider reports the namespace it wrote to even when none was given.
const outputKeys = ["namespace", "ready", "buildpacks", "conditions"] as const;

export class Buildpack extends KpackResource {
  readonly kpackKind = "Buildpack" as const;
  /** Namespace of the Buildpack. */
  declare readonly namespace: pulumi.Output<string>;
  declare readonly image: pulumi.Output<string>;
  /** True once kpack reports Ready at the current generation. */
  declare readonly ready: pulumi.Output<boolean>;
  /** The buildpacks kpack found in the image (status.buildpacks), as id and version. */
  declare readonly buildpacks: pulumi.Output<BuildpackInfo[] | undefined>;
  declare readonly conditions: pulumi.Output<ConditionOutput[] | undefined>;

  constructor(name: string, args: BuildpackArgs, opts?: pulumi.CustomResourceOptions) {
    super("Buildpack", name, args, outputKeys, opts);
  }
}
