import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as kpack from "../../sdk/index";

/**
 * Compile-time checks of the public arg types: tsc builds this file, so each
 * `@ts-expect-error` must hit an error. The function is never called (it
 * would create resources).
 */
function typedUsage(): void {
  const stack = new kpack.ClusterStack("base", {
    stackId: "io.buildpacks.stacks.jammy",
    buildImage: "127.0.0.1:5000/b",
    runImage: "127.0.0.1:5000/r",
  });
  const store = new kpack.ClusterStore("store", { sources: [{ image: "127.0.0.1:5000/bp/java" }] });
  const lifecycle = new kpack.ClusterLifecycle("lc", { image: "127.0.0.1:5000/buildpacksio/lifecycle:0.20.5" });
  const cbp = new kpack.ClusterBuildpack("nodejs", { image: "127.0.0.1:5000/paketobuildpacks/nodejs" });
  const bp = new kpack.Buildpack("go", { namespace: "apps", image: "127.0.0.1:5000/paketobuildpacks/go" });
  const tag: pulumi.Output<string> = pulumi.output("127.0.0.1:5000/builders/java");

  const builder = new kpack.Builder("java", {
    namespace: "apps",
    tag,
    stack,
    store: store,
    lifecycle,
    order: [
      {
        group: [
          { id: "paketo-buildpacks/java", version: pulumi.output("18.5.0") },
          { buildpack: cbp },
          { buildpack: bp, optional: true },
          { kind: "Buildpack", name: "ruby" },
        ],
      },
    ],
    additionalLabels: { team: "payments" },
  });
  const clusterBuilder = new kpack.ClusterBuilder("default", {
    tag: "127.0.0.1:5000/builders/default",
    stack: "base",
    serviceAccountRef: { name: "builder", namespace: "kpack" },
    order: [{ group: [{ buildpack: cbp }, { kind: "ClusterBuildpack", name: "go" }] }],
  });
  // @ts-expect-error a ClusterStore is not a stack
  new kpack.Builder("x", { tag: "127.0.0.1:5000/x", stack: store, order: [] });
  new kpack.ClusterBuilder("y", {
    tag: "127.0.0.1:5000/y",
    stack,
    serviceAccountRef: { name: "b", namespace: "k" },
    // @ts-expect-error a ClusterBuilder resolves no namespaced Buildpack
    order: [{ group: [{ buildpack: bp }] }],
  });
  // @ts-expect-error serviceAccountRef is required on a ClusterBuilder
  new kpack.ClusterBuilder("z", { tag: "127.0.0.1:5000/z", stack, order: [] });

  const app = new kpack.Image("app", {
    namespace: "apps",
    tag: "127.0.0.1:5000/team/app",
    builder,
    source: { git: { url: "http://127.0.0.1:3000/example/app.git", revision: pulumi.output("main") } },
    build: { env: [{ name: "BP_JVM_VERSION", value: "21" }] },
  });
  new kpack.Image("app2", { tag: "127.0.0.1:5000/team/app2", builder: clusterBuilder, source: { blob: { url: "http://127.0.0.1:8080/a.zip" } } });
  new kpack.Image("app3", {
    tag: "127.0.0.1:5000/team/app3",
    builder: { kind: "ClusterBuilder", name: "default" },
    source: { registry: { image: "127.0.0.1:5000/src" } },
  });
  // @ts-expect-error a stack is not a builder
  new kpack.Image("bad", { tag: "127.0.0.1:5000/team/bad", builder: stack, source: { registry: { image: "127.0.0.1:5000/src" } } });
  new kpack.Image("bad2", {
    tag: "127.0.0.1:5000/team/bad",
    builder,
    source: { registry: { image: "127.0.0.1:5000/src" } },
    // @ts-expect-error imageTaggingStrategy is an enum
    imageTaggingStrategy: "Latest",
  });

  const digest: pulumi.Output<string | undefined> = app.digest;
  const latest: pulumi.Output<string> = app.latestImage;
  const buildpacks: pulumi.Output<kpack.BuildpackInfo[] | undefined> = builder.buildpacks;
  void [digest, latest, buildpacks];
}

describe("public SDK types", () => {
  it("compile as documented (see the @ts-expect-error lines of this file)", () => {
    assert.equal(typeof typedUsage, "function");
  });
});
