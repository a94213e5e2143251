import * as assert from "node:assert/strict";
import { readyCondition } from "../../provider/conditions";
import type { KubeObject } from "../../provider/kube/objects";

function obj(generation: number, status: object | undefined): KubeObject {
  return { apiVersion: "kpack.io/v1alpha2", kind: "ClusterStack", metadata: { name: "s", generation }, status };
}

describe("readyCondition", () => {
  it("is pending until kpack has observed the current generation", () => {
    const r = readyCondition(obj(2, { observedGeneration: 1, conditions: [{ type: "Ready", status: "True" }] }));
    assert.deepEqual(r, { state: "pending", message: "waiting for kpack to observe generation 2" });
  });
  it("is ready on Ready=True at the current generation", () => {
    assert.deepEqual(readyCondition(obj(2, { observedGeneration: 2, conditions: [{ type: "Ready", status: "True" }] })), { state: "ready" });
  });
  it("fails with kpack's reason and message on Ready=False", () => {
    const r = readyCondition(
      obj(1, { observedGeneration: 1, conditions: [{ type: "Ready", status: "False", reason: "ReconcileFailed", message: "no such image" }] }),
    );
    assert.deepEqual(r, { state: "failed", message: "ReconcileFailed: no such image" });
  });
  it("is pending while Ready is Unknown, and says why", () => {
    const r = readyCondition(obj(1, { observedGeneration: 1, conditions: [{ type: "Ready", status: "Unknown", reason: "BuildRunning" }] }));
    assert.equal(r.state, "pending");
    assert.match((r as { message: string }).message, /BuildRunning/);
  });
  it("is pending with no status at all", () => {
    assert.equal(readyCondition(obj(1, undefined)).state, "pending");
  });
});
