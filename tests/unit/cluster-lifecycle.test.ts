import * as assert from "node:assert/strict";
import { readyCondition } from "../../provider/conditions";
import { clusterLifecycle } from "../../provider/kinds/cluster-lifecycle";
import { DIGEST_A, failures, live, notReady, objectFor, ready } from "./fixtures/kpack";

const def = clusterLifecycle;

describe("ClusterLifecycle", () => {
  describe("schema", () => {
    it("accepts an image and an optional serviceAccountRef", () => {
      assert.deepEqual(failures(def, { image: "127.0.0.1:5000/buildpacksio/lifecycle:0.20.5" }), []);
      assert.deepEqual(
        failures(def, { image: "127.0.0.1:5000/buildpacksio/lifecycle:0.20.5", serviceAccountRef: { name: "puller", namespace: "kpack" } }),
        [],
      );
    });
    it("requires the image and rejects a malformed one", () => {
      assert.match(failures(def, {}).join("\n"), /ClusterLifecycle t-[0-9a-f]{7}: image: is required: an image reference/);
      assert.match(failures(def, { image: "127.0.0.1:5000/buildpacksio/Lifecycle:0.20.5" }).join("\n"), /image: must be an image reference/);
    });
  });

  it("writes spec.image (inline, as kpack's ImageSource) and the serviceAccountRef", () => {
    const o = objectFor(clusterLifecycle, {
      image: "127.0.0.1:5000/buildpacksio/lifecycle:0.20.5",
      serviceAccountRef: { name: "puller", namespace: "kpack" },
    });
    assert.deepEqual(o.spec, { image: "127.0.0.1:5000/buildpacksio/lifecycle:0.20.5", serviceAccountRef: { name: "puller", namespace: "kpack" } });
  });

  it("outputs the resolved image, version and APIs", () => {
    const o = live("ClusterLifecycle", "lifecycle-0-20", 1, {
      observedGeneration: 1,
      conditions: [ready()],
      image: { latestImage: `127.0.0.1:5000/buildpacksio/lifecycle@${DIGEST_A}`, image: "127.0.0.1:5000/buildpacksio/lifecycle:0.20.5" },
      version: "0.20.5",
      api: { buildpack: "0.2", platform: "0.3" },
      // Go nil slices serialize as null.
      apis: {
        buildpack: { deprecated: null, supported: ["0.7", "0.8", "0.9", "0.10", "0.11"] },
        platform: { deprecated: null, supported: ["0.7", "0.8", "0.9", "0.10", "0.11", "0.12", "0.13", "0.14"] },
      },
    });
    const out = clusterLifecycle.object.outputs(o);
    assert.equal(out.resolvedImage, `127.0.0.1:5000/buildpacksio/lifecycle@${DIGEST_A}`);
    assert.equal(out.version, "0.20.5");
    assert.deepEqual(out.api, { buildpack: "0.2", platform: "0.3" });
    assert.deepEqual(out.apis, {
      buildpack: { deprecated: [], supported: ["0.7", "0.8", "0.9", "0.10", "0.11"] },
      platform: { deprecated: [], supported: ["0.7", "0.8", "0.9", "0.10", "0.11", "0.12", "0.13", "0.14"] },
    });
    assert.equal(out.ready, true);
  });

  it("outputs nothing resolved before kpack has reconciled it", () => {
    const out = clusterLifecycle.object.outputs(
      live("ClusterLifecycle", "l", 1, {
        observedGeneration: 0,
        image: {},
        api: {},
        apis: { buildpack: { deprecated: null, supported: null }, platform: { deprecated: null, supported: null } },
      }),
    );
    assert.equal(out.resolvedImage, undefined);
    assert.equal(out.version, undefined);
    assert.equal(out.api, undefined);
    assert.equal(out.ready, false);
  });

  it("fails with kpack's message when the image cannot be read", () => {
    const r = readyCondition(
      live("ClusterLifecycle", "l", 1, {
        observedGeneration: 1,
        conditions: [notReady("unable to find lifecycle metadata label io.buildpacks.lifecycle.metadata")],
      }),
    );
    assert.deepEqual(r, { state: "failed", message: "unable to find lifecycle metadata label io.buildpacks.lifecycle.metadata" });
  });
});
