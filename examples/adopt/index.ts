import * as pulumi from "@pulumi/pulumi";
import * as kpack from "pulumi-kpack";

/**
 * Migrating from kubectl or kp: the ClusterStack, Builder and Image of
 * kpack's tutorial, made before with `kubectl apply` (or `kp`), declared here
 * under their names. Pulumi cannot `import` into a dynamic provider, so each
 * resource takes its object over on create when `adopt` is true: the status
 * and build history stay, and a spec that matches starts no build. Without
 * adopt, `pulumi up` refuses and writes nothing. After the take-over the
 * objects are the program's: a change builds, `destroy` deletes them.
 *
 * Config (all required but the last two):
 *   registry      where the builder image goes, e.g. registry.example.com/team
 *   stackId, buildImage, runImage   the stack, as the existing ClusterStack has it
 *   buildpackage, buildpackId       the ClusterStore's buildpackage and the builder's buildpack
 *   sourceUrl     URL of the app source (tar.gz or zip), as the existing Image has it
 *   appTag        the existing Image's tag
 * Optional: namespace (default "default"), adopt (default false).
 */
export = async () => {
  const config = new pulumi.Config();
  const namespace = config.get("namespace") ?? "default";
  const adopt = config.getBoolean("adopt") ?? false;

  const stack = new kpack.ClusterStack("base", {
    name: "base",
    stackId: config.require("stackId"),
    buildImage: config.require("buildImage"),
    runImage: config.require("runImage"),
    adopt,
  });
  const store = new kpack.ClusterStore("default", { name: "default", sources: [{ image: config.require("buildpackage") }], adopt });
  const builder = new kpack.Builder("my-builder", {
    name: "my-builder",
    namespace,
    tag: `${config.require("registry")}/builder`,
    stack,
    store,
    order: [{ group: [{ id: config.require("buildpackId") }] }],
    adopt,
  });
  const app = new kpack.Image("tutorial-image", {
    name: "tutorial-image",
    namespace,
    tag: config.require("appTag"),
    builder,
    source: { blob: { url: config.require("sourceUrl") } },
    adopt,
  });

  return { image: app.latestImage, buildCounter: app.buildCounter, provenance: app.provenance };
};
