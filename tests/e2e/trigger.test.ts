import * as assert from "node:assert/strict";
import * as kpack from "../../sdk";
import { testEnv, TestEnv } from "../../devenv/test-env";
import { localBuilder } from "./fixtures/builder";
import type { KpackEnv } from "../../devenv/kpack-env";
import { sourceBlob } from "../../devenv/examples";
import { getManifest } from "../../devenv/registry";

/**
 * kpack starts no build when only an Image's ServiceAccount changes, so a
 * build that failed for lack of credentials stays failed after they are
 * added. triggerBuild asks for one more build and `pulumi up` waits for it.
 */
describe("Image.triggerBuild", function () {
  let env: TestEnv;
  let kp: KpackEnv;
  let ns: string;
  let sourceUrl: string;

  before(async () => {
    env = await testEnv();
    kp = await env.kpack();
    ns = await env.namespace("e2e-trigger");
    sourceUrl = await sourceBlob(env.cluster, kp, "trigger", { "index.html": "<h1>trigger</h1>\n" });
  });

  it("rebuilds after credentials are fixed, and pulumi up waits for that build", async () => {
    const auth = kp.authRegistry.host;
    const creds = kp.authRegistry.auth!;
    const settings = { withCredentials: false, trigger: undefined as string | undefined };
    const program = async () => {
      const { builder } = localBuilder(kp, ns);
      const app = new kpack.Image("app", {
        namespace: ns,
        tag: `${auth}/${ns}/app`,
        builder,
        source: { blob: { url: sourceUrl } },
        managedServiceAccount: settings.withCredentials
          ? { registryCredentials: [{ registry: auth, username: creds.username, password: creds.password }] }
          : {},
        triggerBuild: settings.trigger,
      });
      return { latestImage: app.latestImage, buildCounter: app.buildCounter };
    };
    const stack = await env.pulumi.stack("trigger", "dev", program);
    try {
      let message = "";
      await stack.up().catch((e: Error) => (message = e.message));
      assert.match(message, /Build app-[0-9a-f]{7}-build-1 failed: .*(401|UNAUTHORIZED|unauthorized)/);

      // Credentials alone: kpack builds nothing new, so the Image stays failed.
      settings.withCredentials = true;
      message = ""; // so the assertion below cannot be satisfied by the first up's message
      await stack.up().catch((e: Error) => (message = e.message));
      assert.match(message, /build-1 failed/, `without a trigger the old failure stands: ${message}`);

      settings.trigger = "credentials-fixed";
      const up = await stack.up();
      assert.equal(up.outputs.buildCounter.value, 2);
      const served = await getManifest(`${auth}/${ns}/app:latest`, creds);
      assert.equal(up.outputs.latestImage.value, `${auth}/${ns}/app@${served.digest}`);

      // The same trigger again is no change.
      await stack.preview({ expectNoChanges: true });
    } finally {
      await stack.destroy().catch(() => undefined);
    }
  });
});
