import * as pulumi from "@pulumi/pulumi";
import type { ConditionOutput } from "../schema/common";
import type { BuildProvenance, image } from "../schema/image";
import type { ArgsOf } from "./args";
import { KindRef, refKindName, Referrer } from "./refs";
import { KpackResource } from "./resource";

/**
 * Args of an Image: the fields of schema/image.ts, each a Pulumi Input, with `builder` also taking the Builder or ClusterBuilder resource.
 * @interface
 */
export type ImageArgs = Omit<ArgsOf<typeof image.args>, "builder"> & {
  /**
   * The builder: `{kind: "Builder" | "ClusterBuilder", name}`, or the Builder or ClusterBuilder resource. A Builder must be in the Image's namespace.
   * Changing it makes a build: when kpack starts none (the new builder has the same buildpacks, stack and lifecycle), `pulumi up` asks for one
   * and waits for it, unless `rebuildOnBuilderChange` is false.
   */
  builder: KindRef<"Builder" | "ClusterBuilder">;
};

// namespace is seeded too: the provider reports the namespace it wrote to even when none was given.
const outputKeys = [
  "namespace",
  "ready",
  "latestImage",
  "digest",
  "latestBuildRef",
  "buildCounter",
  "latestBuildReason",
  "latestStack",
  "latestBuildImageGeneration",
  "provenance",
  "conditions",
] as const;

/**
 * Image (kpack.io/v1alpha2, namespaced): kpack builds `source` with the
 * builder and pushes the result to `tag`, and builds again whenever the
 * source, the build config, the builder's buildpacks or its stack change.
 * `latestImage` is the digest-pinned result to deploy. Args: schema/image.ts.
 */
export class Image extends KpackResource {
  /** Namespace of the Image. */
  declare readonly namespace: pulumi.Output<string>;
  /** Where kpack pushes the app image (spec.tag), as given; latestImage is the digest-pinned result. */
  declare readonly tag: pulumi.Output<string>;
  /** True once kpack reports Ready at the current generation: the last build succeeded and none is pending. */
  declare readonly ready: pulumi.Output<boolean>;
  /**
   * The built image, digest-pinned (`<repo>@sha256:…`, status.latestImage): give this to a Deployment's
   * container `image`; a new build changes it, which rolls the Deployment. `up` waits for the build, so it
   * is set; only with `skipAwait` can it still be empty (`""`) before kpack's first build succeeds.
   */
  declare readonly latestImage: pulumi.Output<string>;
  /** The digest part of latestImage (`sha256:…`). */
  declare readonly digest: pulumi.Output<string | undefined>;
  /** Name of the most recent Build (status.latestBuildRef). */
  declare readonly latestBuildRef: pulumi.Output<string | undefined>;
  /** Number of builds kpack has started for this Image (status.buildCounter). */
  declare readonly buildCounter: pulumi.Output<number | undefined>;
  /** Why the most recent build ran, e.g. `CONFIG`, `COMMIT,BUILDPACK` (status.latestBuildReason). */
  declare readonly latestBuildReason: pulumi.Output<string | undefined>;
  /** Stack id of the latest successful build (status.latestStack). */
  declare readonly latestStack: pulumi.Output<string | undefined>;
  /** The Image generation the most recent build was made for (status.latestBuildImageGeneration). */
  declare readonly latestBuildImageGeneration: pulumi.Output<number | undefined>;
  /**
   * What latestImage was built from, read off the Build that pushed it: the commit, blob or registry image
   * kpack fetched, the buildpacks (id, version) and run image (digest-pinned) the lifecycle used, the
   * build's reason, and the cache and attestation images where kpack made them. Read again on refresh;
   * undefined once kpack's build history limit has removed that Build.
   */
  declare readonly provenance: pulumi.Output<BuildProvenance | undefined>;
  /** The conditions kpack reports (status.conditions): Ready and BuilderReady, with their reasons and messages; `[]` until kpack writes any. */
  declare readonly conditions: pulumi.Output<ConditionOutput[] | undefined>;

  constructor(name: string, args: ImageArgs, opts?: pulumi.CustomResourceOptions) {
    const by: Referrer = { kind: "Image", logicalName: name, namespace: args.namespace };
    super("Image", name, { ...args, builder: refKindName(args.builder, ["Builder", "ClusterBuilder"], by, "builder") }, outputKeys, opts);
  }
}
