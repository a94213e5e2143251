import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import * as kpack from "pulumi-kpack";

/**
 * A `kp import` descriptor (descriptor.example.yaml shows the form) declared
 * as typed resources: its ClusterStores, ClusterStacks, ClusterLifecycles and
 * ClusterBuilders under their descriptor names, with kp's defaults (the
 * `default` ClusterStack and ClusterBuilder). An Image builds with the
 * descriptor's default ClusterBuilder. A wrong descriptor fails at preview,
 * naming the entry.
 *
 * Config:
 *   descriptorFile  path of the descriptor YAML
 *   registry        where the builders and the app image are pushed
 *   stackId         the id of the descriptor's stacks (kp reads it from the build image)
 *   sourceUrl       URL of the app source (tar.gz or zip)
 * Optional: namespace (default "default").
 */
export = async () => {
  const config = new pulumi.Config();
  const registry = config.require("registry");
  const deps = new kpack.Descriptor("deps", {
    descriptor: fs.readFileSync(config.require("descriptorFile"), "utf8"),
    builderRepository: `${registry}/builders`,
    stackId: config.require("stackId"),
  });
  const builder = deps.clusterBuilders["default"];
  if (!builder) throw new Error("the descriptor has no defaultClusterBuilder");
  const app = new kpack.Image("app", {
    namespace: config.get("namespace") ?? "default",
    tag: `${registry}/app`,
    builder,
    source: { blob: { url: config.require("sourceUrl") } },
  });
  return { image: app.latestImage, builders: Object.keys(deps.clusterBuilders), provenance: app.provenance };
};
