import * as assert from "node:assert/strict";
import { readyCondition } from "../../provider/conditions";
import { clusterStore } from "../../provider/kinds/cluster-store";
import { buildpackStatus, failures, live, notReady, objectFor, ready, T0 } from "./fixtures/kpack";

const def = clusterStore;
const good = { sources: [{ image: "127.0.0.1:5000/buildpacks/java:18.5.0" }, { image: "127.0.0.1:5000/paketobuildpacks/nodejs" }] };

describe("ClusterStore", () => {
  describe("schema", () => {
    it("accepts sources and an optional serviceAccountRef", () => {
      assert.deepEqual(failures(def, good), []);
      assert.deepEqual(failures(def, { ...good, serviceAccountRef: { name: "store-puller", namespace: "kpack" } }), []);
    });
    it("requires at least one source, saying how to give one", () => {
      assert.match(failures(def, {}).join("\n"), /^ClusterStore t-[0-9a-f]{7}: sources: is required: a list of buildpackage images/);
      assert.match(failures(def, { sources: [] }).join("\n"), /sources: must list at least one buildpackage image/);
    });
    it("names the bad source by index", () => {
      const f = failures(def, { sources: [{ image: "127.0.0.1:5000/buildpacks/java" }, { image: "Not An Image" }] });
      assert.equal(f.length, 1);
      assert.match(f[0], /sources\[1\]\.image: must be an image reference/);
    });
    it("rejects a plain string as a source and a serviceAccountRef without namespace", () => {
      assert.match(
        failures(def, { sources: ["127.0.0.1:5000/paketobuildpacks/java"] }).join("\n"),
        /sources\[0\]: must be an object \{image\}, but is a string/,
      );
      assert.match(failures(def, { ...good, serviceAccountRef: { name: "sa" } }).join("\n"), /serviceAccountRef\.namespace/);
    });
  });

  it("writes spec.sources and no serviceAccountRef when none is given", () => {
    const o = objectFor(clusterStore, good);
    assert.equal(o.metadata?.namespace, undefined);
    assert.deepEqual(o.spec, { sources: [{ image: "127.0.0.1:5000/buildpacks/java:18.5.0" }, { image: "127.0.0.1:5000/paketobuildpacks/nodejs" }] });
    const withSa = objectFor(clusterStore, { ...good, serviceAccountRef: { name: "store-puller", namespace: "kpack" } });
    assert.deepEqual((withSa.spec as { serviceAccountRef: unknown }).serviceAccountRef, { name: "store-puller", namespace: "kpack" });
  });

  it("outputs the buildpacks kpack found, as id, version and homepage", () => {
    const o = live("ClusterStore", "default", 1, {
      observedGeneration: 1,
      conditions: [ready()],
      buildpacks: [
        buildpackStatus("paketo-buildpacks/java", "18.5.0", "http://127.0.0.1/paketo-buildpacks/java"),
        buildpackStatus("paketo-buildpacks/ca-certificates", "3.8.6"),
      ],
    });
    const out = clusterStore.object.outputs(o);
    assert.deepEqual(out.buildpacks, [
      { id: "paketo-buildpacks/java", version: "18.5.0", homepage: "http://127.0.0.1/paketo-buildpacks/java" },
      { id: "paketo-buildpacks/ca-certificates", version: "3.8.6" },
    ]);
    assert.equal(out.ready, true);
    assert.deepEqual(out.conditions, [{ type: "Ready", status: "True", lastTransitionTime: T0 }]);
  });

  it("outputs no buildpacks before kpack has reconciled it", () => {
    const out = clusterStore.object.outputs(live("ClusterStore", "default", 1, undefined));
    assert.equal(out.buildpacks, undefined);
    assert.equal(out.ready, false);
  });

  it("is ready at the current generation, pending behind it, failed with kpack's message", () => {
    assert.deepEqual(readyCondition(live("ClusterStore", "s", 2, { observedGeneration: 2, conditions: [ready()] })), { state: "ready" });
    assert.equal(readyCondition(live("ClusterStore", "s", 2, { observedGeneration: 1, conditions: [ready()] })).state, "pending");
    // kpack's CreateStatusWithReadyCondition: Ready=False with the error as message and no reason.
    const r = readyCondition(
      live("ClusterStore", "s", 1, {
        observedGeneration: 1,
        conditions: [notReady("GET http://127.0.0.1:5000/v2/buildpacks/java/manifests/18.5.0: UNAUTHORIZED: authentication required")],
      }),
    );
    assert.deepEqual(r, {
      state: "failed",
      message: "GET http://127.0.0.1:5000/v2/buildpacks/java/manifests/18.5.0: UNAUTHORIZED: authentication required",
    });
  });
});
