import * as assert from "node:assert/strict";
import { readyCondition } from "../../provider/conditions";
import { clusterBuildpack } from "../../provider/kinds/cluster-buildpack";
import { buildpackStatus, failures, live, objectFor, ready } from "./fixtures/kpack";

const def = clusterBuildpack;

describe("ClusterBuildpack", () => {
  describe("schema", () => {
    it("accepts an image and an optional serviceAccountRef", () => {
      assert.deepEqual(failures(def, { image: "127.0.0.1:5000/paketobuildpacks/nodejs:7" }), []);
      assert.deepEqual(
        failures(def, { image: "127.0.0.1:5000/paketobuildpacks/nodejs:7", serviceAccountRef: { name: "puller", namespace: "kpack" } }),
        [],
      );
    });
    it("requires the image; has neither namespace nor serviceAccountName", () => {
      assert.match(failures(def, {}).join("\n"), /^ClusterBuildpack t-[0-9a-f]{7}: image: is required/);
      const f = failures(def, { image: "127.0.0.1:5000/paketobuildpacks/nodejs:7", namespace: "apps", serviceAccountName: "x" }).join("\n");
      assert.match(
        f,
        /namespace: is not an input of ClusterBuildpack: a ClusterBuildpack is cluster-scoped and has no namespace\. Remove it\.\n.*serviceAccountName: is not an input of ClusterBuildpack: did you mean serviceAccountRef\?/,
      );
    });
    it("names a bad serviceAccountRef field", () => {
      assert.match(
        failures(def, { image: "127.0.0.1:5000/paketobuildpacks/nodejs:7", serviceAccountRef: { namespace: "kpack" } }).join("\n"),
        /serviceAccountRef\.name:/,
      );
    });
  });

  it("writes a cluster-scoped object with spec.image and serviceAccountRef only when given", () => {
    const o = objectFor(clusterBuildpack, { image: "127.0.0.1:5000/paketobuildpacks/nodejs:7" });
    assert.equal(o.metadata?.namespace, undefined);
    assert.deepEqual(o.spec, { image: "127.0.0.1:5000/paketobuildpacks/nodejs:7" });
    const o2 = objectFor(clusterBuildpack, {
      image: "127.0.0.1:5000/paketobuildpacks/nodejs:7",
      serviceAccountRef: { name: "puller", namespace: "kpack" },
    });
    assert.deepEqual(o2.spec, { image: "127.0.0.1:5000/paketobuildpacks/nodejs:7", serviceAccountRef: { name: "puller", namespace: "kpack" } });
  });

  it("outputs the buildpacks in the image and readiness", () => {
    const o = live("ClusterBuildpack", "nodejs", 1, {
      observedGeneration: 1,
      conditions: [ready()],
      buildpacks: [
        buildpackStatus("paketo-buildpacks/nodejs", "7.3.0", "http://127.0.0.1/paketo-buildpacks/nodejs"),
        buildpackStatus("paketo-buildpacks/node-engine", "4.1.0"),
      ],
    });
    assert.deepEqual(clusterBuildpack.object.outputs(o).buildpacks, [
      { id: "paketo-buildpacks/nodejs", version: "7.3.0", homepage: "http://127.0.0.1/paketo-buildpacks/nodejs" },
      { id: "paketo-buildpacks/node-engine", version: "4.1.0" },
    ]);
    assert.deepEqual(readyCondition(o), { state: "ready" });
  });
});
