import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { kube } from "../provider/kube/client";
import { get, KubeObject, waitUntil } from "../provider/kube/objects";
import { applyManifest } from "../provider/install/apply";
import { condition } from "../provider/conditions";
import { binaries, ensureBinary } from "./binaries";
import { CnbImages, pushCnbImages } from "./cnb-images";
import type { Cluster } from "./control-plane";
import { loopbackImages, renderKpackManifest, toYaml } from "./kpack-manifest";
import { freePort, Managed, start, stop, tail, waitFor } from "./processes";
import { randomCredentials, Registry, startRegistry } from "./registry";
import { loopbackSandbox, Sandbox, sandboxSupport } from "./sandbox";
import { BuildPodRunner, startBuildPodRunner } from "./build-pod-runner";
import { GitServer, startGitServer } from "./git-server";
import { serveFile } from "./serve";
import { versions } from "./versions";

/**
 * Real kpack on the local control plane: two local registries (one open, one
 * behind basic auth), buildpacks images pushed to the open one, kpack's own
 * manifest rendered for loopback and applied, the real kpack controller (built
 * from the Go module proxy) running out of cluster, and the build-pod runner
 * in place of the node's kubelet (it runs build pods from their real images).
 */
export interface KpackEnv {
  /** Registry without auth: stack, lifecycle and buildpackages live here. */
  registry: Registry;
  /** Registry that requires `authRegistry.auth` credentials. */
  authRegistry: Registry;
  images: CnbImages;
  /** The rendered manifest as applied. */
  manifest: KubeObject[];
  /** Where it was written, as one multi-document YAML file. */
  manifestFile: string;
  /** The same manifest over HTTP on loopback, as release-<version>.yaml (deferInstall only). */
  manifestUrl?: string;
  controllerLog: string;
  /** True when the controller runs in its loopback-only network namespace. */
  sandboxed: boolean;
  /** Git repositories over HTTP on loopback, for git sources (the controller's sandbox lets it reach them). */
  git: GitServer;
  /** The kubelet of build pods: their container logs are under podDir(ns, name). */
  runner: BuildPodRunner;
  /** Stop the kpack controller process alone (as a Deployment scaled to 0 would), and start it again. */
  stopController(): Promise<void>;
  startController(): Promise<void>;
  /** Milliseconds spent in each startup stage. */
  timings: Record<string, number>;
  stop(): Promise<void>;
}

export interface KpackOptions {
  /** Host loopback ports the controller must reach besides the apiserver and the registries. */
  extraPorts?: number[];
  /**
   * Leave kpack uninstalled: serve the release manifest on loopback (manifestUrl)
   * for the provider to install, and start the controller process once its
   * Deployment appears, as a kubelet would run it.
   */
  deferInstall?: boolean;
}

/** The controller's user: its ServiceAccount's name, so the manifest's own RBAC is what authorizes it. */
const CONTROLLER_USER = "system:serviceaccount:kpack:controller";
const CONTROLLER_GROUPS = ["system:serviceaccounts", "system:serviceaccounts:kpack"];

/** Env of the kpack-controller container in the manifest, resolved as a kubelet would (ConfigMap refs, the namespace). */
export function controllerEnv(manifest: KubeObject[]): Record<string, string> {
  const deployment = manifest.find((o) => o.kind === "Deployment" && o.metadata?.name === "kpack-controller") as k8s.V1Deployment | undefined;
  const container = deployment?.spec?.template.spec?.containers.find((c) => c.name === "controller");
  if (!container) throw new Error("The kpack manifest has no kpack-controller Deployment with a controller container.");
  const ns = deployment?.metadata?.namespace ?? "kpack";
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef?.fieldPath === "metadata.namespace") env[e.name] = ns;
    else if (e.valueFrom?.configMapKeyRef) {
      const ref = e.valueFrom.configMapKeyRef;
      const cm = manifest.find((o) => o.kind === "ConfigMap" && o.metadata?.name === ref.name) as k8s.V1ConfigMap | undefined;
      const v = cm?.data?.[ref.key];
      if (v === undefined) throw new Error(`kpack-controller env ${e.name}: ConfigMap ${ref.name} key ${ref.key} is not in the manifest.`);
      env[e.name] = v;
    } else throw new Error(`kpack-controller env ${e.name}: unsupported valueFrom ${JSON.stringify(e.valueFrom)}.`);
  }
  return env;
}

export async function startKpack(cluster: Cluster, opts: KpackOptions = {}): Promise<KpackEnv> {
  if (cluster.external) {
    throw new Error("startKpack runs kpack against the local control plane only (its registry is on this machine's loopback); unset PULUMI_KPACK_TEST_KUBECONFIG.");
  }
  const timings: Record<string, number> = {};
  const timed = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await f();
    } finally {
      timings[what] = Date.now() - t0;
    }
  };
  const workDir = path.join(cluster.workDir, "kpack");
  fs.mkdirSync(workDir, { recursive: true });
  const cleanups: Array<() => Promise<void>> = [];
  const stopAllHere = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };

  try {
    const controllerBin = ensureBinary(binaries.kpackController);
    ensureBinary(binaries.registry);
    ensureBinary(binaries.imagetool);

    const [registry, authRegistry] = await timed("registries", () => Promise.all([
      startRegistry({ workDir, name: "registry" }),
      startRegistry({ workDir, name: "registry-auth", auth: randomCredentials("pulumi-kpack") }),
    ]));
    cleanups.push(registry.stop, authRegistry.stop);
    timings.registryStart = Math.max(registry.startMs, authRegistry.startMs);

    const images = await timed("images", () => pushCnbImages(registry.host, workDir));
    const git = await startGitServer(path.join(workDir, "git"));
    cleanups.push(git.close);

    const manifest = renderKpackManifest({ images: loopbackImages(registry.host, images.lifecycleImage) });
    const manifestFile = path.join(workDir, "release.yaml");
    fs.writeFileSync(manifestFile, toYaml(manifest));
    const admin = kube({ kubeconfig: cluster.kubeconfig, context: cluster.context });
    let manifestUrl: string | undefined;
    if (opts.deferInstall) {
      const served = await serveFile(manifestFile, `release-${versions.kpack}.yaml`);
      cleanups.push(served.close);
      manifestUrl = served.url;
    } else {
      await timed("manifest", () => applyManifest(admin, manifest));
    }

    const kubeconfigPath = path.join(workDir, "controller.kubeconfig");
    fs.writeFileSync(kubeconfigPath, cluster.userKubeconfig(CONTROLLER_USER, CONTROLLER_GROUPS), { mode: 0o600 });
    const controllerTmp = path.join(workDir, "controller-tmp");
    fs.mkdirSync(controllerTmp, { recursive: true });
    const home = path.join(workDir, "controller-home");
    fs.mkdirSync(path.join(home, ".docker"), { recursive: true });
    fs.writeFileSync(path.join(home, ".docker", "config.json"), "{}");
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      // No credentials of the user's own may reach the controller's keychains.
      HOME: home,
      // The controller writes builder-image layers as temp files and keeps them: keep them in the env's scratch dir.
      TMPDIR: controllerTmp,
      DOCKER_CONFIG: path.join(home, ".docker"),
      ...controllerEnv(manifest),
      // knative serves profiling on ":<PROFILING_PORT>" whatever we do; a free
      // port at least avoids clashes when the sandbox is unavailable.
      PROFILING_PORT: String(await freePort()),
      METRICS_PROMETHEUS_HOST: "127.0.0.1",
      DEFAULT_METRICS_BACKEND: "none",
    };
    const args = [`--kubeconfig=${kubeconfigPath}`];
    const apiPort = Number(new URL(cluster.server).port);
    const support = sandboxSupport();
    let sandbox: Sandbox | undefined;
    const controllerLog = path.join(workDir, "kpack-controller.log");
    if (support.ok) {
      const gitPort = Number(new URL(git.url("x")).port);
      const ports = [apiPort, Number(registry.host.split(":")[1]), Number(authRegistry.host.split(":")[1]), gitPort, ...(opts.extraPorts ?? [])];
      sandbox = await loopbackSandbox(controllerBin, args, ports);
      cleanups.push(sandbox.close);
    } else {
      fs.appendFileSync(controllerLog, `pulumi-kpack: no network sandbox (${support.reason}); the profiling server listens on all interfaces at :${env.PROFILING_PORT}.\n`);
      process.stderr.write(`pulumi-kpack test env: kpack controller runs without its loopback sandbox: ${support.reason}\n`);
    }
    const startController = (): Managed => {
      const c = start("kpack-controller", sandbox?.bin ?? controllerBin, sandbox?.args ?? args, { logFile: controllerLog, env });
      cleanups.push(() => stop(c));
      return c;
    };
    if (opts.deferInstall) {
      // Stand-in for the kubelet that would run the kpack-controller Deployment:
      // the process starts once the provider has applied that Deployment.
      const deployment = { apiVersion: "apps/v1", kind: "Deployment", name: "kpack-controller", namespace: "kpack" };
      const stopWatching = new AbortController();
      const watching = waitUntil(admin, deployment, (o) => o !== undefined, 3600_000, "to be installed", stopWatching.signal).then(() => {
        if (stopWatching.signal.aborted) return;
        fs.appendFileSync(controllerLog, "pulumi-kpack test env: Deployment kpack-controller appeared; starting the controller as a kubelet would.\n");
        startController();
      }, () => undefined);
      cleanups.push(async () => {
        stopWatching.abort();
        await watching;
      });
    }
    let controller: Managed | undefined = opts.deferInstall ? undefined : startController();

    // Ready when it has reconciled the manifest's default ClusterLifecycle
    // against the local registry: proof it runs, is authorized and reaches both.
    if (controller) await timed("controller", () => waitFor("kpack controller to make ClusterLifecycle default-lifecycle Ready", controller, async () => {
      const lc = await get(admin, { apiVersion: "kpack.io/v1alpha2", kind: "ClusterLifecycle", name: "default-lifecycle" });
      return condition(lc, "Ready")?.status === "True";
    }, 120_000));

    const kubeConfig = new k8s.KubeConfig();
    kubeConfig.loadFromString(cluster.kubeconfig);
    if (cluster.context) kubeConfig.setCurrentContext(cluster.context);
    const runner = await timed("runner", () => startBuildPodRunner({ kubeConfig, logFile: path.join(workDir, "build-pod-runner.log"), workDir: path.join(workDir, "node") }));
    cleanups.push(() => runner.stop());

    return {
      registry,
      authRegistry,
      images,
      manifest,
      manifestFile,
      manifestUrl,
      controllerLog,
      sandboxed: sandbox !== undefined,
      runner,
      git,
      timings,
      async stopController() {
        if (controller) await stop(controller);
        controller = undefined;
      },
      async startController() {
        if (controller) return;
        const c = startController();
        controller = c;
        await waitFor("the restarted kpack controller to serve", c, async () => fs.readFileSync(controllerLog, "utf8").split("\n").length > 0, 30_000);
      },
      stop: stopAllHere,
    };
  } catch (e) {
    await stopAllHere();
    const log = path.join(workDir, "kpack-controller.log");
    if (fs.existsSync(log) && e instanceof Error && !e.message.includes(log)) e.message += `\nkpack controller log (${log}):\n${tail(log)}`;
    throw e;
  }
}
