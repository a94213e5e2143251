import * as assert from "node:assert/strict";
import { readyCondition } from "../../provider/conditions";
import { buildpack } from "../../provider/kinds/buildpack";
import * as lifecycle from "../../provider/lifecycle";
import { buildpackStatus, failures, live, notReady, objectFor, ready } from "./fixtures/kpack";

const def = buildpack;

describe("Buildpack", () => {
  describe("schema", () => {
    it("accepts an image, a namespace and a serviceAccountName", () => {
      assert.deepEqual(failures(def, { image: "127.0.0.1:5000/paketobuildpacks/java:18" }), []);
      assert.deepEqual(failures(def, { image: "127.0.0.1:5000/paketobuildpacks/java:18", namespace: "apps", serviceAccountName: "puller" }), []);
    });
    it("requires the image and names bad fields", () => {
      assert.match(failures(def, {}).join("\n"), /^Buildpack default\/t-[0-9a-f]{7}: image: is required/);
      const f = failures(def, { image: "127.0.0.1:5000/paketobuildpacks/java:18", namespace: "Apps", serviceAccountName: "Puller_1" }).join("\n");
      assert.match(f, /namespace: must be lower-case/);
      assert.match(f, /serviceAccountName: must be lower-case/);
    });
    it("has no serviceAccountRef (that is ClusterBuildpack's field)", () => {
      assert.match(
        failures(def, { image: "127.0.0.1:5000/paketobuildpacks/java:18", serviceAccountRef: { name: "a", namespace: "b" } }).join("\n"),
        /serviceAccountRef: is not an input of Buildpack: did you mean serviceAccountName\?/,
      );
    });
  });

  it("writes serviceAccountName explicitly and the object in namespace default unless given", () => {
    const o = objectFor(buildpack, { image: "127.0.0.1:5000/paketobuildpacks/java:18" });
    assert.equal(o.metadata?.namespace, "default");
    assert.deepEqual(o.spec, { image: "127.0.0.1:5000/paketobuildpacks/java:18", serviceAccountName: "default" });
    const o2 = objectFor(buildpack, { image: "127.0.0.1:5000/paketobuildpacks/java:18", namespace: "apps", serviceAccountName: "puller" });
    assert.equal(o2.metadata?.namespace, "apps");
    assert.deepEqual(o2.spec, { image: "127.0.0.1:5000/paketobuildpacks/java:18", serviceAccountName: "puller" });
  });

  it("replaces when the namespace changes, updates in place when the image does", () => {
    const olds = { logicalName: "bp", providerVersion: "0.1.0", name: "java", image: "127.0.0.1:5000/paketobuildpacks/java:18", namespace: "apps" };
    assert.deepEqual(lifecycle.diff(def, olds, { ...olds, namespace: "other" }).replaces, ["namespace"]);
    const d = lifecycle.diff(def, olds, { ...olds, image: "127.0.0.1:5000/paketobuildpacks/java:19" });
    assert.equal(d.changes, true);
    assert.deepEqual(d.replaces, []);
  });

  it("outputs the buildpacks in the image", () => {
    const o = live(
      "Buildpack",
      "java",
      1,
      {
        observedGeneration: 1,
        conditions: [ready()],
        buildpacks: [
          buildpackStatus("paketo-buildpacks/java", "18.5.0", "http://127.0.0.1/paketo-buildpacks/java"),
          buildpackStatus("paketo-buildpacks/bellsoft-liberica", "11.2.1"),
        ],
      },
      "apps",
    );
    const out = buildpack.object.outputs(o);
    assert.deepEqual(out.buildpacks, [
      { id: "paketo-buildpacks/java", version: "18.5.0", homepage: "http://127.0.0.1/paketo-buildpacks/java" },
      { id: "paketo-buildpacks/bellsoft-liberica", version: "11.2.1" },
    ]);
    assert.equal(out.ready, true);
  });

  it("readiness follows Ready at the current generation", () => {
    assert.deepEqual(readyCondition(live("Buildpack", "java", 3, { observedGeneration: 3, conditions: [ready()] }, "apps")), { state: "ready" });
    assert.equal(readyCondition(live("Buildpack", "java", 3, { observedGeneration: 2, conditions: [ready()] }, "apps")).state, "pending");
    const r = readyCondition(
      live(
        "Buildpack",
        "java",
        1,
        { observedGeneration: 1, conditions: [notReady("GET http://127.0.0.1:5000/v2/paketobuildpacks/jav/manifests/18: MANIFEST_UNKNOWN")] },
        "apps",
      ),
    );
    assert.equal(r.state, "failed");
    assert.match((r as { message: string }).message, /MANIFEST_UNKNOWN/);
  });
});
