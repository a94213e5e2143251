import * as assert from "node:assert/strict";
import * as kpack from "../../sdk";
import { testEnv, TestEnv } from "../../devenv/test-env";
import type { KpackEnv } from "../../devenv/kpack-env";

/**
 * Issue 10, item 5: faults. With the kpack controller stopped, an update waits
 * out its timeoutSeconds and says the controller is the likely cause.
 */
describe("faults: the kpack controller stopped", function () {
  let env: TestEnv;
  let kp: KpackEnv;

  before(async () => {
    env = await testEnv();
    kp = await env.kpack();
  });

  it("a ClusterStack change times out naming the controller (namespace kpack, Deployment kpack-controller)", async () => {
    const img = kp.images;
    let changed = false;
    const stack = await env.pulumi.stack("faults-controller", "dev", async () => {
      const s = new kpack.ClusterStack("stack", {
        stackId: img.stackId,
        buildImage: img.buildImage,
        runImage: img.runImage,
        ...(changed ? { serviceAccountRef: { name: "default", namespace: "kpack" }, timeoutSeconds: 15 } : {}),
      });
      return { ready: s.ready };
    });
    try {
      const up = await stack.up();
      assert.equal(up.outputs.ready.value, true, "Ready with the controller running");
      await kp.stopController();
      changed = true;
      let message = "";
      await stack.up().then(
        () => assert.fail("the update succeeded with the controller stopped"),
        (e: Error) => (message = e.message),
      );
      assert.match(message, /ClusterStack stack-[0-9a-f]{7}: /);
      assert.match(
        message,
        /kpack has not observed generation 2 of it \(it last observed 1\): is the kpack controller running\? Check `kubectl -n kpack get deployment kpack-controller`/,
      );
    } finally {
      await kp.startController();
      await stack.destroy().catch(() => undefined);
    }
  });
});

/**
 * Issue 17, item 5: with kpack's webhook stopped (failurePolicy Fail), the
 * apiserver admits no kpack object; `up` fails at once, naming the webhook.
 */
describe("faults: kpack's webhook stopped", function () {
  let env: TestEnv;
  let kp: KpackEnv;

  before(async () => {
    env = await testEnv();
    kp = await env.kpack();
  });

  it("a ClusterStack create fails in bounded time naming the kpack-webhook Deployment, and succeeds once it runs again", async () => {
    const img = kp.images;
    const stack = await env.pulumi.stack("faults-webhook", "dev", async () => {
      const s = new kpack.ClusterStack("stack", { stackId: img.stackId, buildImage: img.buildImage, runImage: img.runImage, timeoutSeconds: 60 });
      return { ready: s.ready };
    });
    try {
      await kp.stopWebhook();
      let message = "";
      await stack.up().then(
        () => assert.fail("the create succeeded with the webhook stopped"),
        (e: Error) => (message = e.message),
      );
      assert.match(message, /ClusterStack stack-[0-9a-f]{7}: .*applying it failed: .*failed calling webhook "defaults\.webhook\.kpack\.io"/);
      assert.match(message, /kpack's webhook does not answer.*check the kpack-webhook Deployment in namespace kpack/);
      // Refused by the apiserver at once, not waited out to the resource's timeout.
      assert.doesNotMatch(message, /timed out|did not .* within/i);
      await kp.startWebhook();
      const up = await stack.up();
      assert.equal(up.outputs.ready.value, true);
    } finally {
      await kp.startWebhook();
      await stack.destroy().catch(() => undefined);
    }
  });
});
