import * as pulumi from "@pulumi/pulumi";
import * as kpack from "pulumi-kpack";

/**
 * Many images: one ClusterBuilder, shared by `count` Images of the same
 * source (think one per service of a monorepo, each with its own subPath).
 *
 * Config:
 *   registry, stackId, buildImage, runImage, buildpackage, buildpackId, sourceUrl: as in the quickstart
 *   builderNamespace  where the ClusterBuilder's ServiceAccount lives, e.g. "kpack"
 * Optional: count (default 3), namespace (default "default").
 */
const config = new pulumi.Config();
const registry = config.require("registry");
const namespace = config.get("namespace") ?? "default";
const count = config.getNumber("count") ?? 3;

const stack = new kpack.ClusterStack("base", {
  stackId: config.require("stackId"),
  buildImage: config.require("buildImage"),
  runImage: config.require("runImage"),
});
const store = new kpack.ClusterStore("buildpacks", { sources: [{ image: config.require("buildpackage") }] });
const builder = new kpack.ClusterBuilder("shared", {
  tag: `${registry}/builder`,
  stack,
  store,
  order: [{ group: [{ id: config.require("buildpackId") }] }],
  // A ClusterBuilder has no namespace of its own: its ServiceAccount lives in the one given.
  managedServiceAccount: { namespace: config.require("builderNamespace") },
});

const images = Array.from(
  { length: count },
  (_, i) =>
    new kpack.Image(`app-${i}`, {
      namespace,
      tag: `${registry}/app-${i}`,
      builder,
      source: { blob: { url: config.require("sourceUrl") } },
    }),
);

export const latestImages = images.map((img) => img.latestImage);
