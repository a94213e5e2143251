import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import type { Cluster } from "./controlplane";
import type { KpackEnv } from "./kpackEnv";
import type { PulumiEnv } from "./pulumi";
import { buildImage, filesDir } from "./imagetool";
import { getManifest } from "./registry";
import { repoRoot } from "./paths";

/**
 * The examples/quickstart program, configured for the local environment: its
 * registry, the buildpacks images the environment pushed, and an app source
 * blob. Used by `npm start` and by its e2e test.
 */
export async function quickstartStack(cluster: Cluster, kp: KpackEnv, pulumi: PulumiEnv, stackName = "local"): Promise<Stack> {
  const src = filesDir(path.join(cluster.workDir, "kpack"), "quickstart-source", { "index.html": "<h1>Hello from kpack</h1>\n" });
  const pushed = await buildImage({ layers: [{ dir: src }], tags: [`${kp.registry.host}/quickstart/source:1`] });
  const manifest = JSON.parse((await getManifest(pushed.ref)).body ?? "{}") as { layers: Array<{ digest: string }> };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const program = require(path.join(repoRoot, "dist", "examples", "quickstart", "index.js")) as () => Promise<Record<string, unknown>>;
  const stack = await pulumi.stack("kpack-quickstart", stackName, program);
  const bp = kp.images.buildpacks[0];
  await stack.setAllConfig({
    registry: { value: `${kp.registry.host}/quickstart` },
    stackId: { value: kp.images.stackId },
    buildImage: { value: kp.images.buildImage },
    runImage: { value: kp.images.runImage },
    buildpackage: { value: bp.image },
    buildpackId: { value: bp.id },
    sourceUrl: { value: `${kp.registry.url}/v2/quickstart/source/blobs/${manifest.layers[0].digest}` },
  });
  return stack;
}
