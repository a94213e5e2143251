import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as crypto from "node:crypto";
import * as k8s from "@kubernetes/client-node";
import { Cluster, startCluster } from "./control-plane";
import { pulumiEnv, PulumiEnv } from "./pulumi";
import { scratchDir, stopAll } from "./processes";
import { KpackEnv, startKpack } from "./kpack-env";

/**
 * The test environment, started once per test run on first use and stopped
 * after the run (mocha global teardown), whatever the outcome. Unit tests never
 * start it.
 */
export interface TestEnv {
  cluster: Cluster;
  pulumi: PulumiEnv;
  kubeConfig: k8s.KubeConfig;
  /** A fresh namespace for one test; deleted at teardown. */
  namespace(prefix: string): Promise<string>;
  /**
   * Real kpack (controller, local registries, buildpacks images, build-pod
   * runner), started on first call and stopped at teardown. Tests that do
   * not call it do not pay for it.
   */
  kpack(): Promise<KpackEnv>;
}

let started: Promise<TestEnv> | undefined;
let kpackStarted: Promise<KpackEnv> | undefined;
const namespaces: string[] = [];
let baseDir: string | undefined;

export function testEnv(): Promise<TestEnv> {
  started ??= (async () => {
    const t0 = Date.now();
    baseDir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-kpack-test-"));
    scratchDir(baseDir);
    const cluster = await startCluster({ baseDir });
    const pulumi = await pulumiEnv(baseDir, cluster.kubeconfigPath);
    const kubeConfig = new k8s.KubeConfig();
    kubeConfig.loadFromString(cluster.kubeconfig);
    if (cluster.context) kubeConfig.setCurrentContext(cluster.context);
    const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    process.stderr.write(
      `test environment ready in ${((Date.now() - t0) / 1000).toFixed(1)}s (${cluster.external ? "external cluster" : "local control plane"} at ${cluster.server})\n`,
    );
    return {
      cluster,
      pulumi,
      kubeConfig,
      async namespace(prefix) {
        const name = `${prefix}-${crypto.randomBytes(3).toString("hex")}`;
        await core.createNamespace({ body: { metadata: { name, labels: { "pulumi-kpack/test": "true" } } } });
        namespaces.push(name);
        return name;
      },
      kpack() {
        kpackStarted ??= (async () => {
          const t = Date.now();
          const k = await startKpack(cluster);
          process.stderr.write(
            `kpack ready in ${((Date.now() - t) / 1000).toFixed(1)}s (${JSON.stringify(k.timings)}, controller ${k.sandboxed ? "in its loopback sandbox" : "unsandboxed"})\n`,
          );
          return k;
        })();
        return kpackStarted;
      },
    };
  })();
  return started;
}

export async function mochaGlobalTeardown(): Promise<void> {
  if (!started) return;
  try {
    const env = await started;
    if (kpackStarted)
      await kpackStarted.then(
        (k) => k.stop(),
        () => undefined,
      );
    if (env.cluster.external) {
      const core = env.kubeConfig.makeApiClient(k8s.CoreV1Api);
      for (const name of namespaces) await core.deleteNamespace({ name }).catch(() => undefined);
    }
    await env.cluster.stop();
  } catch {
    // startup failed; the processes are stopped below either way
  } finally {
    await stopAll();
    if (baseDir && !process.env.PULUMI_KPACK_KEEP_ENV) fs.rmSync(baseDir, { recursive: true, force: true });
  }
}
