import * as assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import * as kpack from "../../sdk";
import { testEnv, TestEnv } from "../../devenv/test-env";
import { localBuilder } from "./fixtures/builder";
import type { KpackEnv } from "../../devenv/kpack-env";
import { sourceBlob } from "../../devenv/examples";

/**
 * Issue 17 item 6: an Image's build.buildTimeout becomes the build pod's
 * activeDeadlineSeconds, which the build-pod runner enforces as a kubelet
 * does (containers killed, the pod Failed with reason DeadlineExceeded), so
 * a slow build fails with kpack's own message, readable in `pulumi up`.
 */
describe("Image build.buildTimeout", function () {
  let env: TestEnv;
  let kp: KpackEnv;
  let ns: string;
  let sourceUrl: string;

  before(async () => {
    env = await testEnv();
    kp = await env.kpack();
    ns = await env.namespace("e2e-timeout");
    // The test buildpack sleeps this long in its build step: far past the timeout.
    sourceUrl = await sourceBlob(env.cluster, kp, `timeout-${ns}`, { "index.html": "<h1>slow</h1>\n", "slow-build": "600000" });
  });

  it("fails a build that runs past it, with the pod's DeadlineExceeded reason in the error", async () => {
    const reg = kp.registry.host;
    const stack = await env.pulumi.stack("timeout", "dev", async () => {
      const { builder } = localBuilder(kp, ns);
      const app = new kpack.Image("app", {
        namespace: ns,
        tag: `${reg}/${ns}/app`,
        builder,
        source: { blob: { url: sourceUrl } },
        build: { buildTimeout: 20 },
      });
      return { name: app.name };
    });
    try {
      let message = "";
      await stack.up().then(
        () => assert.fail("the slow build succeeded"),
        (e: Error) => (message = e.message),
      );
      assert.match(
        message,
        /Image e2e-timeout-[0-9a-f]+\/app-[0-9a-f]{7}: .*Build app-[0-9a-f]{7}-build-1 failed: .*Pod was active on the node longer than the specified deadline/s,
      );
      const core = env.kubeConfig.makeApiClient(k8s.CoreV1Api);
      const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: "kpack.io/build" });
      assert.equal(pods.items.length, 1);
      const pod = pods.items[0];
      assert.equal(pod.spec?.activeDeadlineSeconds, 20);
      assert.equal(pod.status?.phase, "Failed");
      assert.equal(pod.status?.reason, "DeadlineExceeded");
      // The build step was running when the deadline came: killed, not finished.
      const buildStep = pod.status?.initContainerStatuses?.find((c) => c.name === "build");
      assert.notEqual(buildStep?.state?.terminated?.exitCode, 0);
    } finally {
      await stack.destroy().catch(() => undefined);
    }
  });
});
