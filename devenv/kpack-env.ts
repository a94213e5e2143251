import * as fs from "node:fs";
import * as path from "node:path";
import * as tls from "node:tls";
import * as k8s from "@kubernetes/client-node";
import { kube } from "../provider/kube/client";
import { get, KubeObject, refOf, waitUntil } from "../provider/kube/objects";
import { applyManifest } from "../provider/install/apply";
import { webhookConfigured, webhookTargets } from "../provider/install";
import { condition } from "../provider/conditions";
import { binaries, ensureBinary, kpackBinary } from "./binaries";
import { CnbImages, pushCnbImages } from "./cnb-images";
import type { Cluster } from "./control-plane";
import { loopbackImages, renderKpackManifest, toYaml } from "./kpack-manifest";
import { freePort, Managed, start, stop, tail, waitFor } from "./processes";
import { randomCredentials, Registry, startRegistry } from "./registry";
import { ExposedPort, loopbackSandbox, sandboxSupport } from "./sandbox";
import { BuildPodRunner, startBuildPodRunner } from "./build-pod-runner";
import { GitServer, startGitServer } from "./git-server";
import { serveFile } from "./serve";
import { versions } from "./versions";

/**
 * Real kpack on the local control plane: two local registries (one open, one
 * behind basic auth), buildpacks images pushed to the open one, kpack's own
 * manifest rendered for loopback and applied, the real kpack controller and
 * webhook (built from the Go module proxy) running out of cluster, each in a
 * loopback-only network sandbox as its Deployment's ServiceAccount, and the
 * build-pod runner in place of the node's kubelet (it runs build pods from
 * their real images).
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
  webhookLog: string;
  /** Host port on 127.0.0.1 where the apiserver reaches the webhook. */
  webhookPort: number;
  /** True when the controller and webhook run in their loopback-only network namespaces. */
  sandboxed: boolean;
  /** Git repositories over HTTP on loopback, for git sources (the controller's sandbox lets it reach them). */
  git: GitServer;
  /** The kubelet of build pods: their container logs are under podDir(ns, name). */
  runner: BuildPodRunner;
  /** The process running kpack's Deployment now: the image it runs (deferInstall), the binary and the pid. */
  running(deployment: "kpack-controller" | "kpack-webhook"): { image: string; binary: string; pid: number } | undefined;
  /** Stop the kpack controller process alone (as a Deployment scaled to 0 would), and start it again. */
  stopController(): Promise<void>;
  startController(): Promise<void>;
  /** The same for kpack's webhook (as its Deployment scaled to 0 would); start waits until it answers again. */
  stopWebhook(): Promise<void>;
  startWebhook(): Promise<void>;
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

/**
 * kpack's two Deployments, each run as a local process: its binary, its
 * container, and the user its ServiceAccount authenticates as, so the
 * manifest's own RBAC is what authorizes it.
 */
interface KpackProcess {
  deployment: string;
  container: string;
  serviceAccount: string;
}
const CONTROLLER: KpackProcess = { deployment: "kpack-controller", container: "controller", serviceAccount: "controller" };
const WEBHOOK: KpackProcess = { deployment: "kpack-webhook", container: "webhook", serviceAccount: "webhook" };
const SA_GROUPS = ["system:serviceaccounts", "system:serviceaccounts:kpack"];

function containerOf(manifest: KubeObject[], p: KpackProcess): { deployment: k8s.V1Deployment; container: k8s.V1Container } {
  const deployment = manifest.find((o) => o.kind === "Deployment" && o.metadata?.name === p.deployment) as k8s.V1Deployment | undefined;
  const container = deployment?.spec?.template.spec?.containers.find((c) => c.name === p.container);
  if (!deployment || !container) throw new Error(`The kpack manifest has no ${p.deployment} Deployment with a ${p.container} container.`);
  return { deployment, container };
}

/** Env of the kpack-controller container in the manifest, resolved as a kubelet would (ConfigMap refs, the namespace). */
export function controllerEnv(manifest: KubeObject[], p: KpackProcess = CONTROLLER): Record<string, string> {
  const { deployment, container } = containerOf(manifest, p);
  const ns = deployment.metadata?.namespace ?? "kpack";
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef?.fieldPath === "metadata.namespace") env[e.name] = ns;
    else if (e.valueFrom?.configMapKeyRef) {
      const ref = e.valueFrom.configMapKeyRef;
      const cm = manifest.find((o) => o.kind === "ConfigMap" && o.metadata?.name === ref.name) as k8s.V1ConfigMap | undefined;
      const v = cm?.data?.[ref.key];
      if (v === undefined) throw new Error(`${p.deployment} env ${e.name}: ConfigMap ${ref.name} key ${ref.key} is not in the manifest.`);
      env[e.name] = v;
    } else throw new Error(`${p.deployment} env ${e.name}: unsupported valueFrom ${JSON.stringify(e.valueFrom)}.`);
  }
  return env;
}

/** The image of a kpack Deployment's container. */
function imageOf(d: KubeObject, p: KpackProcess): string {
  return (d as k8s.V1Deployment).spec?.template.spec?.containers.find((c) => c.name === p.container)?.image ?? "";
}

/**
 * The binary a kpack image names: `<registry>/kpack/<name>:<version>` (see
 * loopbackImages) runs that version's build, for the versions the test
 * environment builds (the pinned one and the previous one).
 */
export function kpackBinaryFor(p: { container: string }, image: string): string {
  const version = /:(\d+\.\d+\.\d+)$/.exec(image)?.[1] ?? versions.kpack;
  if (version !== versions.kpack && version !== versions.kpackPrevious) {
    throw new Error(`The test environment runs kpack ${versions.kpack} and ${versions.kpackPrevious} only; the manifest asks for ${image}.`);
  }
  return ensureBinary(kpackBinary(p.container === "controller" ? "controller" : "webhook", version));
}

/** True when something completes a TLS handshake on 127.0.0.1:port (the webhook's certificate is not checked here). */
function webhookAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tls.connect({ host: "127.0.0.1", port, servername: "kpack-webhook.kpack.svc", rejectUnauthorized: false, timeout: 2000 }, () => {
      s.end();
      resolve(true);
    });
    s.on("error", () => resolve(false));
    s.on("timeout", () => {
      s.destroy();
      resolve(false);
    });
  });
}

export async function startKpack(cluster: Cluster, opts: KpackOptions = {}): Promise<KpackEnv> {
  if (cluster.external) {
    throw new Error(
      "startKpack runs kpack against the local control plane only (its registry is on this machine's loopback); unset PULUMI_KPACK_TEST_KUBECONFIG.",
    );
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
    const webhookBin = ensureBinary(binaries.kpackWebhook);
    ensureBinary(binaries.registry);
    ensureBinary(binaries.imagetool);

    const [registry, authRegistry] = await timed("registries", () =>
      Promise.all([
        startRegistry({ workDir, name: "registry" }),
        startRegistry({ workDir, name: "registry-auth", auth: randomCredentials("pulumi-kpack") }),
      ]),
    );
    cleanups.push(
      () => registry.stop(),
      () => authRegistry.stop(),
    );
    timings.registryStart = Math.max(registry.startMs, authRegistry.startMs);

    const images = await timed("images", () => pushCnbImages(registry.host, workDir));
    const git = await startGitServer(path.join(workDir, "git"));
    cleanups.push(() => git.close());

    const webhookPort = await freePort();
    const manifest = renderKpackManifest({ images: loopbackImages(registry.host, images.lifecycleImage), webhookPort });
    const manifestFile = path.join(workDir, "release.yaml");
    fs.writeFileSync(manifestFile, toYaml(manifest));
    const admin = kube({ kubeconfig: cluster.kubeconfig, context: cluster.context });
    let manifestUrl: string | undefined;
    if (opts.deferInstall) {
      const served = await serveFile(manifestFile, `release-${versions.kpack}.yaml`);
      cleanups.push(() => served.close());
      manifestUrl = served.url;
    } else {
      await timed("manifest", () => applyManifest(admin, manifest));
    }

    const apiPort = Number(new URL(cluster.server).port);
    const support = sandboxSupport();
    const controllerLog = path.join(workDir, "kpack-controller.log");
    const webhookLog = path.join(workDir, "kpack-webhook.log");
    // Inside its sandbox the webhook listens on its containerPort, as in its pod.
    const innerWebhookPort = containerOf(manifest, WEBHOOK).container.ports?.find((p) => p.name === "https-webhook")?.containerPort ?? 8443;

    /** The command line of one of kpack's processes: sandboxed where the machine allows, reaching `ports` on the host. */
    const prepare = async (p: KpackProcess, log: string, ports: number[], exposed: ExposedPort[], extraEnv: Record<string, string>) => {
      const kubeconfigPath = path.join(workDir, `${p.container}.kubeconfig`);
      fs.writeFileSync(kubeconfigPath, cluster.userKubeconfig(`system:serviceaccount:kpack:${p.serviceAccount}`, SA_GROUPS), { mode: 0o600 });
      const tmp = path.join(workDir, `${p.container}-tmp`);
      const home = path.join(workDir, `${p.container}-home`);
      fs.mkdirSync(tmp, { recursive: true });
      fs.mkdirSync(path.join(home, ".docker"), { recursive: true });
      fs.writeFileSync(path.join(home, ".docker", "config.json"), "{}");
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        // No credentials of the user's own may reach kpack's keychains.
        HOME: home,
        // The controller writes builder-image layers as temp files and keeps them: keep them in the env's scratch dir.
        TMPDIR: tmp,
        DOCKER_CONFIG: path.join(home, ".docker"),
        ...controllerEnv(manifest, p),
        // knative serves profiling on ":<PROFILING_PORT>" whatever we do; a free
        // port at least avoids clashes when the sandbox is unavailable.
        PROFILING_PORT: String(await freePort()),
        METRICS_PROMETHEUS_HOST: "127.0.0.1",
        DEFAULT_METRICS_BACKEND: "none",
        ...extraEnv,
      };
      const args = [`--kubeconfig=${kubeconfigPath}`];
      if (!support.ok) {
        fs.appendFileSync(log, `pulumi-kpack: no network sandbox (${support.reason}); knative's servers listen on all interfaces.\n`);
        process.stderr.write(`pulumi-kpack test env: ${p.deployment} runs without its loopback sandbox: ${support.reason}\n`);
        return { command: (bin: string) => ({ bin, args }), env, exposedSocket: undefined };
      }
      const sandbox = await loopbackSandbox(ports, exposed);
      cleanups.push(() => sandbox.close());
      return { command: (bin: string) => sandbox.command(bin, args), env, exposedSocket: sandbox.exposedSocket(innerWebhookPort) };
    };
    const gitPort = Number(new URL(git.url("x")).port);
    const controllerCmd = await prepare(
      CONTROLLER,
      controllerLog,
      [apiPort, Number(registry.host.split(":")[1]), Number(authRegistry.host.split(":")[1]), gitPort, ...(opts.extraPorts ?? [])],
      [],
      {},
    );
    // Unsandboxed, the webhook must listen on the host port itself (on every interface: knative binds ":<port>").
    const webhookCmd = await prepare(WEBHOOK, webhookLog, [apiPort], [{ hostPort: webhookPort, innerPort: innerWebhookPort }], {
      WEBHOOK_PORT: String(support.ok ? innerWebhookPort : webhookPort),
    });

    const processes = new Map<KpackProcess, Managed>();
    const runningImage = new Map<KpackProcess, { image: string; binary: string; pid: number }>();
    const binaryOf = (p: KpackProcess) => (p === CONTROLLER ? controllerBin : webhookBin);
    const run = (p: KpackProcess, binary = binaryOf(p), image = ""): Managed => {
      const cmd = p === CONTROLLER ? controllerCmd : webhookCmd;
      const line = cmd.command(binary);
      const m = start(p.deployment, line.bin, line.args, { logFile: p === CONTROLLER ? controllerLog : webhookLog, env: cmd.env });
      processes.set(p, m);
      runningImage.set(p, { image, binary, pid: m.child.pid ?? 0 });
      cleanups.push(() => stop(m));
      return m;
    };
    const halt = async (p: KpackProcess) => {
      const m = processes.get(p);
      processes.delete(p);
      if (m) await stop(m);
    };
    /** The webhook serves once it has configured both webhook configurations and the converted CRDs (as the provider's install waits). */
    const webhookServes = async () => {
      for (const t of webhookTargets(manifest)) {
        if (!webhookConfigured(await get(admin, refOf(t)))) return false;
      }
      return true;
    };
    const awaitWebhookProcess = (m: Managed, what: string) => timed("webhook", () => waitFor(what, m, webhookServes, 120_000));

    if (opts.deferInstall) {
      // Stand-in for the kubelet that would run kpack's Deployments: each
      // process starts once the provider has applied its Deployment, from the
      // binary of the kpack version its image names, and is replaced when an
      // upgrade changes that image (the old process stops first, as with the
      // Deployments' Recreate-like single replica).
      for (const p of [WEBHOOK, CONTROLLER]) {
        const deployment = { apiVersion: "apps/v1", kind: "Deployment", name: p.deployment, namespace: "kpack" };
        const stopWatching = new AbortController();
        const log = p === CONTROLLER ? controllerLog : webhookLog;
        const watching = (async () => {
          while (!stopWatching.signal.aborted) {
            const d = await waitUntil(
              admin,
              deployment,
              (o) => (o === undefined ? processes.has(p) : imageOf(o, p) !== runningImage.get(p)?.image),
              3600_000,
              "to be installed",
              stopWatching.signal,
            ).catch(() => "aborted" as const);
            if (d === "aborted" || stopWatching.signal.aborted) return;
            if (!d) {
              // Deployment deleted (kpack uninstalled): its pod goes, as a kubelet would stop it.
              fs.appendFileSync(log, `pulumi-kpack test env: Deployment ${p.deployment} deleted; stopping its process.\n`);
              await halt(p);
              runningImage.delete(p);
              continue;
            }
            const image = imageOf(d, p);
            let binary: string;
            try {
              binary = kpackBinaryFor(p, image);
            } catch (e) {
              // As a kubelet that cannot pull an image: say so, and run nothing.
              fs.appendFileSync(log, `pulumi-kpack test env: ${(e as Error).message}\n`);
              runningImage.set(p, { image, binary: "", pid: 0 });
              continue;
            }
            const old = processes.get(p);
            const socket = (p === CONTROLLER ? controllerCmd : webhookCmd).exposedSocket;
            if (!old) {
              fs.appendFileSync(log, `pulumi-kpack test env: Deployment ${p.deployment} appeared (${image}); starting it as a kubelet would.\n`);
              run(p, binary, image);
            } else if (p === WEBHOOK && !socket) {
              // Unsandboxed, both would bind the same host port: the old one goes first.
              fs.appendFileSync(log, `pulumi-kpack test env: Deployment ${p.deployment} now runs ${image}; replacing its process.\n`);
              await halt(p);
              run(p, binary, image);
            } else {
              // A rolling update (maxSurge 1): the new process starts, the old one stops once the new one
              // serves (the webhook: once its relay took the exposed socket). The controller's leader
              // leases pass on when the old one releases them on SIGTERM.
              fs.appendFileSync(log, `pulumi-kpack test env: Deployment ${p.deployment} now runs ${image}; rolling its process over.\n`);
              const before = socket && fs.existsSync(socket) ? fs.statSync(socket).ino : undefined;
              const m = run(p, binary, image);
              if (socket) {
                await waitFor(
                  `the new ${p.deployment} process to serve`,
                  m,
                  async () => fs.existsSync(socket) && fs.statSync(socket).ino !== before,
                  120_000,
                ).catch((e: unknown) => fs.appendFileSync(log, `pulumi-kpack test env: ${(e as Error).message}\n`));
              }
              await stop(old);
            }
          }
        })();
        cleanups.push(async () => {
          stopWatching.abort();
          await watching;
        });
      }
    } else {
      // Objects are admitted as on any cluster only once the webhook has configured itself.
      await awaitWebhookProcess(run(WEBHOOK), "kpack's webhook to fill in its webhook configurations and the CRDs' conversion");
      const controller = run(CONTROLLER);
      // Ready when it has reconciled the manifest's default ClusterLifecycle
      // against the local registry: proof it runs, is authorized and reaches both.
      await timed("controller", () =>
        waitFor(
          "kpack controller to make ClusterLifecycle default-lifecycle Ready",
          controller,
          async () => {
            const lc = await get(admin, { apiVersion: "kpack.io/v1alpha2", kind: "ClusterLifecycle", name: "default-lifecycle" });
            return condition(lc, "Ready")?.status === "True";
          },
          120_000,
        ),
      );
    }

    const kubeConfig = new k8s.KubeConfig();
    kubeConfig.loadFromString(cluster.kubeconfig);
    if (cluster.context) kubeConfig.setCurrentContext(cluster.context);
    const runner = await timed("runner", () =>
      startBuildPodRunner({ kubeConfig, logFile: path.join(workDir, "build-pod-runner.log"), workDir: path.join(workDir, "node") }),
    );
    cleanups.push(() => runner.stop());

    return {
      registry,
      authRegistry,
      images,
      manifest,
      manifestFile,
      manifestUrl,
      controllerLog,
      webhookLog,
      webhookPort,
      sandboxed: support.ok,
      runner,
      git,
      timings,
      running(deployment) {
        const p = deployment === CONTROLLER.deployment ? CONTROLLER : WEBHOOK;
        return processes.has(p) ? runningImage.get(p) : undefined;
      },
      async stopController() {
        await halt(CONTROLLER);
      },
      async startController() {
        if (processes.has(CONTROLLER)) return;
        const c = run(CONTROLLER);
        await waitFor(
          "the restarted kpack controller to serve",
          c,
          async () => fs.readFileSync(controllerLog, "utf8").split("\n").length > 0,
          30_000,
        );
      },
      async stopWebhook() {
        await halt(WEBHOOK);
      },
      async startWebhook() {
        if (processes.has(WEBHOOK)) return;
        const w = run(WEBHOOK);
        // Its configurations stay filled while it is down: ready is when it answers again.
        await waitFor("the restarted kpack webhook to answer", w, () => webhookAnswers(webhookPort), 60_000);
      },
      stop: stopAllHere,
    };
  } catch (e) {
    await stopAllHere();
    for (const [what, log] of [
      ["controller", "kpack-controller.log"],
      ["webhook", "kpack-webhook.log"],
    ]) {
      const file = path.join(workDir, log);
      if (fs.existsSync(file) && e instanceof Error && !e.message.includes(file)) e.message += `\nkpack ${what} log (${file}):\n${tail(file)}`;
    }
    throw e;
  }
}
