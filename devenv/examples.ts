import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import type { Cluster } from "./control-plane";
import type { KpackEnv } from "./kpack-env";
import type { ProgramDeps, PulumiEnv } from "./pulumi";
import { buildImage, filesDir } from "./imagetool";
import { getManifest } from "./registry";
import { repoRoot } from "./paths";

/**
 * The example programs of examples/, configured for the local environment:
 * its registry, the stack and buildpacks images it pushed, and an app source
 * blob. Used by `npm start` and by the examples' e2e tests.
 */
export type ExampleName = "quickstart" | "app-deployment" | "private-registry" | "many-images" | "adopt" | "descriptor";

export function exampleDir(name: ExampleName): string {
  return path.join(repoRoot, "examples", name);
}

/** A source blob on the local registry (a layer of an image pushed there), and its URL. */
export async function sourceBlob(cluster: Cluster, kp: KpackEnv, name: string, files: Record<string, string>): Promise<string> {
  const src = filesDir(path.join(cluster.workDir, "kpack"), `${name}-source`, files);
  const pushed = await buildImage({ layers: [{ dir: src }], tags: [`${kp.registry.host}/${name}/source:1`] });
  const manifest = JSON.parse((await getManifest(pushed.ref)).body ?? "{}") as { layers: Array<{ digest: string }> };
  return `${kp.registry.url}/v2/${name}/source/blobs/${manifest.layers[0].digest}`;
}

/** A registry source: an image in the local registry whose files are the app (kpack's source.registry.image). */
export async function sourceImage(cluster: Cluster, kp: KpackEnv, name: string, files: Record<string, string>): Promise<string> {
  const src = filesDir(path.join(cluster.workDir, "kpack"), `${name}-image-source`, files);
  return (await buildImage({ layers: [{ dir: src }], tags: [`${kp.registry.host}/${name}/source-image:1`] })).ref;
}

/** The config every example takes, for the local environment; `registry` is where its images go. */
export async function exampleConfig(cluster: Cluster, kp: KpackEnv, registry: string, name: string): Promise<Record<string, string>> {
  const bp = kp.images.buildpacks[0];
  return {
    registry,
    stackId: kp.images.stackId,
    buildImage: kp.images.buildImage,
    runImage: kp.images.runImage,
    buildpackage: bp.image,
    buildpackId: bp.id,
    sourceUrl: await sourceBlob(cluster, kp, name, { "index.html": `<h1>Hello from kpack (${name})</h1>\n` }),
  };
}

/**
 * A stack of examples/<name> as a program directory with pulumi-kpack
 * installed from its tarball, configured for the local environment (plus
 * `extra` config; `secrets` are set as secret config).
 */
export async function exampleStack(
  cluster: Cluster,
  kp: KpackEnv,
  pulumi: PulumiEnv,
  name: ExampleName,
  stackName: string,
  extra: Record<string, string> = {},
  secrets: Record<string, string> = {},
  deps?: ProgramDeps,
): Promise<Stack> {
  const stack = await pulumi.programStack(exampleDir(name), stackName, { deps });
  const config = { ...(await exampleConfig(cluster, kp, `${kp.registry.host}/${name}-${stackName}`, `${name}-${stackName}`)), ...extra };
  await stack.setAllConfig({
    ...Object.fromEntries(Object.entries(config).map(([k, v]) => [k, { value: v }])),
    ...Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, { value: v, secret: true }])),
  });
  return stack;
}
