import * as assert from "node:assert/strict";
import { testEnv } from "../env/fixtures";
import { quickstartStack } from "../env/quickstart";
import { getManifest } from "../env/registry";

/** examples/quickstart, as `npm start` runs it: its exported image is the digest the registry serves. */
describe("examples/quickstart", function () {
  it("builds the app and exports its digest-pinned image", async () => {
    const env = await testEnv();
    const kp = await env.kpack();
    const stack = await quickstartStack(env.cluster, kp, env.pulumi, "e2e");
    try {
      const up = await stack.up();
      const tag = `${kp.registry.host}/quickstart/app`;
      const served = await getManifest(`${tag}:latest`);
      assert.equal(up.outputs.image.value, `${tag}@${served.digest}`);
      assert.equal(up.outputs.buildCounter.value, 1);
    } finally {
      await stack.destroy().catch(() => undefined);
    }
  });
});
