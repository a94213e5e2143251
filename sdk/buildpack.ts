import * as pulumi from "@pulumi/pulumi";
import type { BuildpackInfo, ConditionOutput } from "../schema/common";
import type { buildpack } from "../schema/buildpack";
import type { ArgsOf } from "./args";
import { KpackResource } from "./resource";

/**
 * Args of a Buildpack: the fields of schema/buildpack.ts, each a Pulumi Input.
 * @interface
 */
export type BuildpackArgs = ArgsOf<typeof buildpack.args>;

// namespace is seeded too: the provider reports the namespace it wrote to even when none was given.
const outputKeys = ["namespace", "ready", "buildpacks", "conditions"] as const;

/**
 * Buildpack (kpack.io/v1alpha2, namespaced): one buildpackage image whose
 * buildpacks the Builders of its namespace may use. Args: schema/buildpack.ts.
 */
export class Buildpack extends KpackResource {
  /** Marks the kind, so a Buildpack can be passed as a buildpack in a Builder's order (see sdk/refs.ts). */
  readonly kpackKind = "Buildpack" as const;
  /** Namespace of the Buildpack. */
  declare readonly namespace: pulumi.Output<string>;
  /** The buildpackage image reference (spec.image), as given. */
  declare readonly image: pulumi.Output<string>;
  /** True once kpack reports Ready at the current generation. */
  declare readonly ready: pulumi.Output<boolean>;
  /** The buildpacks kpack found in the image (status.buildpacks), as id and version. */
  declare readonly buildpacks: pulumi.Output<BuildpackInfo[] | undefined>;
  /** The conditions kpack reports (status.conditions), e.g. Ready with its reason and message; `[]` until kpack writes any. */
  declare readonly conditions: pulumi.Output<ConditionOutput[] | undefined>;

  constructor(name: string, args: BuildpackArgs, opts?: pulumi.CustomResourceOptions) {
    super("Buildpack", name, args, outputKeys, opts);
  }
}
