import * as pulumi from "@pulumi/pulumi";
import * as kpack from "pulumi-kpack";

/**
 * Quickstart: a stack, a store of buildpacks, a builder and an Image built
 * from a source blob. Exports the digest-pinned image a Deployment would run.
 *
 * Config (all required):
 *   registry      where builder and app images are pushed, e.g. registry.example.com/team
 *   stackId       the stack id both stack images carry
 *   buildImage    stack build image
 *   runImage      stack run image
 *   buildpackage  a buildpackage image for the store
 *   buildpackId   the id of a buildpack in it
 *   sourceUrl     URL of the app source (tar.gz or zip)
 * Optional: namespace (default "default").
 */
export = async () => {
  const config = new pulumi.Config();
  const registry = config.require("registry");
  const namespace = config.get("namespace") ?? "default";

  const stack = new kpack.ClusterStack("base", {
    stackId: config.require("stackId"),
    buildImage: config.require("buildImage"),
    runImage: config.require("runImage"),
  });
  const store = new kpack.ClusterStore("buildpacks", { sources: [{ image: config.require("buildpackage") }] });
  const builder = new kpack.Builder("builder", {
    namespace,
    tag: `${registry}/builder`,
    stack,
    store,
    order: [{ group: [{ id: config.require("buildpackId") }] }],
  });
  const app = new kpack.Image("app", {
    namespace,
    tag: `${registry}/app`,
    builder,
    source: { blob: { url: config.require("sourceUrl") } },
  });

  return {
    /** repo@sha256:…: hand this to a Deployment; a new build rolls it. */
    image: app.latestImage,
    buildCounter: app.buildCounter,
    builderImage: builder.latestImage,
  };
};
