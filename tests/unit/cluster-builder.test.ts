import * as assert from "node:assert/strict";
import { builderReadiness } from "../../provider/kinds/builder";
import { clusterBuilder } from "../../provider/kinds/cluster-builder";
import { DIGEST_A, failures, live, objectFor, T0 } from "./fixtures/kpack";

const def = clusterBuilder;
const good = {
  tag: "127.0.0.1:5000/builders/default",
  stack: "base",
  serviceAccountRef: { name: "builder", namespace: "kpack" },
  order: [{ group: [{ id: "paketo-buildpacks/java" }] }, { group: [{ kind: "ClusterBuildpack", name: "nodejs" }] }],
};

describe("ClusterBuilder", () => {
  describe("schema", () => {
    it("accepts the shared builder fields with a serviceAccountRef", () => {
      assert.deepEqual(failures(def, good), []);
      assert.deepEqual(failures(def, { ...good, store: "default", lifecycle: "lifecycle-0-20", additionalLabels: { tier: "base" } }), []);
    });

    it("requires serviceAccountRef, and both of its fields", () => {
      const { serviceAccountRef: _, ...noSa } = good;
      assert.match(
        failures(def, noSa).join("\n"),
        /^ClusterBuilder t-[0-9a-f]{7}: serviceAccountRef: is required: the ServiceAccount kpack pushes the builder with/,
      );
      assert.match(failures(def, { ...good, serviceAccountRef: { name: "builder" } }).join("\n"), /serviceAccountRef\.namespace:/);
    });

    it("rejects a namespaced Buildpack in the order, saying why", () => {
      const f = failures(def, { ...good, order: [{ group: [{ kind: "Buildpack", name: "nodejs" }] }] });
      assert.equal(f.length, 1);
      assert.match(f[0], /order\[0\]\.group\[0\]\.kind: must be "ClusterBuildpack" .*kpack resolves no namespaced Buildpack for a ClusterBuilder/);
    });

    it("has neither namespace nor serviceAccountName", () => {
      assert.match(
        failures(def, { ...good, namespace: "apps", serviceAccountName: "x" }).join("\n"),
        /namespace: is not an input of ClusterBuilder: a ClusterBuilder is cluster-scoped and has no namespace\. Remove it\.\n.*serviceAccountName: is not an input of ClusterBuilder: did you mean serviceAccountRef\?/,
      );
    });
  });

  it("writes stack.kind explicitly (kpack gives a ClusterBuilder none), the default lifecycle and the serviceAccountRef", () => {
    const o = objectFor(clusterBuilder, good);
    assert.equal(o.metadata?.namespace, undefined);
    assert.deepEqual(o.spec, {
      tag: "127.0.0.1:5000/builders/default",
      stack: { kind: "ClusterStack", name: "base" },
      lifecycle: { kind: "ClusterLifecycle", name: "default-lifecycle" },
      order: [{ group: [{ id: "paketo-buildpacks/java" }] }, { group: [{ kind: "ClusterBuildpack", name: "nodejs" }] }],
      serviceAccountRef: { name: "builder", namespace: "kpack" },
    });
    const withStore = objectFor(clusterBuilder, { ...good, store: "default" });
    assert.deepEqual((withStore.spec as { store: unknown }).store, { kind: "ClusterStore", name: "default" });
  });

  it("shares the Builder's outputs and readiness", () => {
    const o = live("ClusterBuilder", "default", 3, {
      observedGeneration: 3,
      conditions: [
        { type: "Ready", status: "True", lastTransitionTime: T0 },
        { type: "UpToDate", status: "False", reason: "ReconcileFailed", message: "Error: clusterstack 'base' is not ready", lastTransitionTime: T0 },
      ],
      builderMetadata: [{ id: "paketo-buildpacks/java", version: "18.5.0" }],
      stack: { runImage: `127.0.0.1:5000/stacks/run@${DIGEST_A}`, id: "io.buildpacks.stacks.jammy" },
      latestImage: `127.0.0.1:5000/builders/default@${DIGEST_A}`,
    });
    const out = clusterBuilder.object.outputs(o);
    assert.equal(out.latestImage, `127.0.0.1:5000/builders/default@${DIGEST_A}`);
    assert.deepEqual(out.buildpacks, [{ id: "paketo-buildpacks/java", version: "18.5.0" }]);
    assert.equal(out.upToDate, false);
    assert.equal(builderReadiness(o).state, "pending");
  });
});
