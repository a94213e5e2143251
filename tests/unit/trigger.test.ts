import * as assert from "node:assert/strict";
import { buildToWatch, imageWait, newestBuild } from "../../provider/kinds/image/status";
import type { KubeObject } from "../../provider/kube/objects";

function build(name: string, n: number, created: string): KubeObject {
  return {
    apiVersion: "kpack.io/v1alpha2",
    kind: "Build",
    metadata: { name, labels: { "image.kpack.io/buildNumber": String(n) }, creationTimestamp: new Date(created) },
  };
}
function image(buildCounter: number, ready: "True" | "Unknown", latestBuildRef: string): KubeObject {
  return {
    apiVersion: "kpack.io/v1alpha2",
    kind: "Image",
    metadata: { name: "app", namespace: "apps", generation: 1 },
    status: {
      observedGeneration: 1,
      latestBuildImageGeneration: 1,
      buildCounter,
      latestBuildRef,
      latestImage: "127.0.0.1:5000/app@sha256:" + "a".repeat(64),
      conditions: [{ type: "Ready", status: ready }],
    },
  };
}

describe("triggered rebuilds", () => {
  it("annotate the newest Build by build number, as kp image trigger does", () => {
    const b = newestBuild([
      build("app-build-2", 2, "2026-01-01T00:00:02Z"),
      build("app-build-10", 10, "2026-01-01T00:00:01Z"),
      build("app-build-9", 9, "2026-01-01T00:00:03Z"),
    ]);
    assert.equal(b?.metadata?.name, "app-build-10");
    assert.equal(newestBuild([]), undefined);
  });

  it("keep the wait pending while the Image still shows the build before the trigger, even when that one is Ready", () => {
    const r = imageWait(image(2, "True", "app-build-2"), undefined, 1, 3);
    assert.deepEqual(r, { state: "pending", message: "waiting for kpack to start build #3 (triggered)" });
    assert.equal(buildToWatch(image(2, "True", "app-build-2"), 1, 3), undefined);
  });

  it("follow the triggered build once kpack has started it", () => {
    assert.equal(buildToWatch(image(3, "Unknown", "app-build-3"), 1, 3), "app-build-3");
    const r = imageWait(image(3, "Unknown", "app-build-3"), undefined, 1, 3);
    assert.equal(r.state, "pending");
    assert.match((r as { message: string }).message, /app-build-3/);
  });
});
