import * as assert from "node:assert/strict";
import { failedStep, stepFailureDetail } from "../../provider/kinds/image/status";

describe("Image: the failed step of a build pod", () => {
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "app-build-2-build-pod", namespace: "ns" },
    status: {
      phase: "Failed",
      initContainerStatuses: [
        { name: "prepare", state: { terminated: { exitCode: 0, reason: "Completed" } } },
        { name: "analyze", state: { terminated: { exitCode: 0, reason: "Completed" } } },
        { name: "detect", state: { terminated: { exitCode: 20, reason: "Error" } } },
        { name: "restore", state: { waiting: { reason: "PodInitializing" } } },
      ],
      containerStatuses: [{ name: "completion", state: { waiting: { reason: "PodInitializing" } } }],
    },
  };

  it("is the first container that ended non-zero, init containers first", () => {
    assert.deepEqual(failedStep(pod), { step: "detect", exitCode: 20, message: undefined });
    assert.equal(failedStep({ ...pod, status: { phase: "Succeeded" } }), undefined);
    assert.equal(failedStep(undefined), undefined);
  });

  it("is told with its exit code and the end of its log, colours stripped", () => {
    const log =
      "\x1b[31m======== Output: test/hello@1.0.0 ========\x1b[0m\nfail-detect: no web app here\n\nERROR: No buildpack groups passed detection.\n";
    assert.equal(
      stepFailureDetail({ step: "detect", exitCode: 20 }, log),
      "Step detect failed (exit code 20); its log ends:\n    ======== Output: test/hello@1.0.0 ========\n    fail-detect: no web app here\n    ERROR: No buildpack groups passed detection.",
    );
    assert.equal(stepFailureDetail({ step: "export", exitCode: 1, message: "denied" }, undefined), "Step export failed (exit code 1): denied");
    assert.equal(stepFailureDetail({ step: "build", exitCode: 1 }, "a\nb\nc\n", 2), "Step build failed (exit code 1); its log ends:\n    b\n    c");
  });
});
