import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import * as k8s from "@kubernetes/client-node";
import { buildImage, filesDir } from "./imagetool";
import { Credentials } from "./registry";

/**
 * A stand-in for the kubelet, for kpack build pods only (label kpack.io/build).
 * No container runs: it walks the pod through the status a kubelet would
 * report — Pending while the init containers prepare, analyze, detect,
 * restore, build and export run one by one, Running for the completion
 * container, then Succeeded or Failed — and does the two parts of a build whose
 * effects kpack and its users can see: it fetches the source (loopback only)
 * and pushes a real app image (the build's run image plus a layer made from the
 * source) to the build's tags, with the credentials kpack gave the pod. Without
 * them a push to a password-protected registry fails, as a real export would.
 * The completion container ends with kpack's termination message:
 * base64(gzip(JSON BuildMetadata)), read back by the real controller.
 *
 * Behaviour per build, from the Build's annotations (which kpack copies from
 * the Image) or from plan():
 *   standin.pulumi-kpack.test/fail: "<step>: <message>"  fail that step
 *   standin.pulumi-kpack.test/step-delay-ms: "<ms>"      time each step takes
 */
export const FAIL_ANNOTATION = "standin.pulumi-kpack.test/fail";
export const DELAY_ANNOTATION = "standin.pulumi-kpack.test/step-delay-ms";
const BUILD_LABEL = "kpack.io/build";

export type Step = "prepare" | "analyze" | "detect" | "restore" | "build" | "export" | "rebase" | "completion";

export interface Behaviour {
  fail?: { step: Step; message: string };
  /** Milliseconds each step takes (default 25). */
  stepDelayMs?: number;
}

export interface Match {
  namespace?: string;
  /** Image name (label image.kpack.io/image). */
  image?: string;
  /** Build name. */
  build?: string;
}

export interface Standin {
  /** Sets behaviour for builds matching `match`; later plans win over earlier ones and over annotations. */
  plan(match: Match, behaviour: Behaviour): void;
  /** Pods walked to the end so far. */
  readonly handled: number;
  logFile: string;
  stop(): Promise<void>;
}

export interface StandinOptions {
  kubeConfig: k8s.KubeConfig;
  logFile: string;
  /** Scratch directory for sources and layers. */
  workDir: string;
}

interface BuildObject extends k8s.KubernetesObject {
  spec?: {
    tags?: string[];
    source?: { blob?: { url?: string }; git?: { url?: string; revision?: string }; registry?: { image?: string } };
  };
}

interface BuilderObject extends k8s.KubernetesObject {
  status?: {
    builderMetadata?: Array<{ id: string; version: string; homepage?: string }>;
    order?: Array<{ group?: Array<{ id?: string }> }>;
    stack?: { id?: string; runImage?: string };
    lifecycle?: { version?: string };
  };
}

/** kpack's BuildMetadata (pkg/cnb/build_metadata.go), as the completion container reports it. */
export interface BuildMetadata {
  buildpackMetadata: Array<{ id: string; version: string; homepage?: string }>;
  latestImage: string;
  latestCacheImage: string;
  stackID: string;
  stackRunImage: string;
  lifecycleVersion: string;
}

/** base64(gzip(JSON)), kpack's encoding of the completion termination message. */
export function compressBuildMetadata(m: BuildMetadata): string {
  return zlib.gzipSync(Buffer.from(JSON.stringify(m))).toString("base64");
}

export function decompressBuildMetadata(s: string): BuildMetadata {
  return JSON.parse(zlib.gunzipSync(Buffer.from(s, "base64")).toString("utf8")) as BuildMetadata;
}

/** Parses "<step>: <message>" from the fail annotation. */
export function parseFail(v: string | undefined): Behaviour["fail"] {
  if (!v) return undefined;
  const i = v.indexOf(":");
  const step = (i < 0 ? v : v.slice(0, i)).trim() as Step;
  return { step, message: i < 0 ? `${step} failed (stand-in)` : v.slice(i + 1).trim() };
}

/** The repository part of an image reference (no tag, no digest). */
export function repositoryOf(ref: string): string {
  const noDigest = ref.split("@")[0];
  const slash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

function hostOf(ref: string): string {
  return ref.split("/")[0];
}

function isLoopbackUrl(u: string): boolean {
  try {
    const h = new URL(u).hostname;
    return h === "127.0.0.1" || h === "localhost" || h === "[::1]";
  } catch {
    return false;
  }
}

class StepFailure extends Error {
  constructor(readonly step: Step, message: string) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startStandin(opts: StandinOptions): Promise<Standin> {
  const kc = opts.kubeConfig;
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  const plans: Array<{ match: Match; behaviour: Behaviour }> = [];
  const seen = new Set<string>();
  const running = new Set<Promise<void>>();
  let handled = 0;
  let stopped = false;
  fs.mkdirSync(opts.workDir, { recursive: true });
  const log = (msg: string) => fs.appendFileSync(opts.logFile, `${new Date().toISOString()} ${msg}\n`);
  log("pulumi-kpack build-pod stand-in: plays the kubelet for pods labelled kpack.io/build only; no container runs.");

  function behaviourFor(pod: k8s.V1Pod, build: BuildObject | undefined): Behaviour {
    const ann = build?.metadata?.annotations ?? {};
    let b: Behaviour = { fail: parseFail(ann[FAIL_ANNOTATION]), stepDelayMs: ann[DELAY_ANNOTATION] ? Number(ann[DELAY_ANNOTATION]) : undefined };
    const image = pod.metadata?.labels?.["image.kpack.io/image"];
    const buildName = pod.metadata?.labels?.[BUILD_LABEL];
    for (const p of plans) {
      const m = p.match;
      if (m.namespace && m.namespace !== pod.metadata?.namespace) continue;
      if (m.image && m.image !== image) continue;
      if (m.build && m.build !== buildName) continue;
      b = { ...b, ...p.behaviour };
    }
    return b;
  }

  /** Reads the pod, lets `change` edit its status and writes it back, retrying on conflicts. */
  async function updateStatus(ns: string, name: string, change: (s: k8s.V1PodStatus) => void): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const pod = await core.readNamespacedPod({ name, namespace: ns });
      pod.status ??= {};
      change(pod.status);
      try {
        await core.replaceNamespacedPodStatus({ name, namespace: ns, body: pod });
        return;
      } catch (e) {
        if (e instanceof k8s.ApiException && e.code === 409 && attempt < 10) continue;
        throw e;
      }
    }
  }

  /** Credentials the pod was given: kpack's docker secret args on the prepare container (build_pod.go). */
  async function podCredentials(pod: k8s.V1Pod): Promise<Record<string, Credentials>> {
    const ns = pod.metadata?.namespace ?? "";
    const prepare = pod.spec?.initContainers?.find((c) => c.name === "prepare");
    const creds: Record<string, Credentials> = {};
    for (const arg of prepare?.args ?? []) {
      let m = /^-basic-docker=([^=]+)=(.+)$/.exec(arg);
      if (m) {
        const s = await core.readNamespacedSecret({ name: m[1], namespace: ns });
        const dec = (k: string) => Buffer.from(s.data?.[k] ?? "", "base64").toString("utf8");
        creds[m[2].replace(/^https?:\/\//, "").replace(/\/.*$/, "")] = { username: dec("username"), password: dec("password") };
        continue;
      }
      m = /^-(dockerconfig|dockercfg|imagepull)=(.+)$/.exec(arg);
      if (m) {
        const s = await core.readNamespacedSecret({ name: m[2], namespace: ns });
        const raw = s.data?.[".dockerconfigjson"] ?? s.data?.[".dockercfg"];
        if (!raw) continue;
        const parsed = JSON.parse(Buffer.from(raw, "base64").toString("utf8")) as { auths?: Record<string, { auth?: string; username?: string; password?: string }> } & Record<string, { auth?: string; username?: string; password?: string }>;
        const auths = parsed.auths ?? parsed;
        for (const [reg, a] of Object.entries(auths)) {
          const [u, p] = a.auth ? Buffer.from(a.auth, "base64").toString("utf8").split(/:(.*)/s) : [a.username ?? "", a.password ?? ""];
          creds[reg.replace(/^https?:\/\//, "").replace(/\/.*$/, "")] ??= { username: u, password: p };
        }
      }
    }
    return creds;
  }

  function envOf(pod: k8s.V1Pod, container: string, name: string): string | undefined {
    const c = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((x) => x.name === container);
    return c?.env?.find((e) => e.name === name)?.value;
  }

  async function readBuild(pod: k8s.V1Pod): Promise<BuildObject | undefined> {
    const name = pod.metadata?.labels?.[BUILD_LABEL];
    if (!name) return undefined;
    try {
      return await objects.read<BuildObject>({ apiVersion: "kpack.io/v1alpha2", kind: "Build", metadata: { name, namespace: pod.metadata?.namespace ?? "" } });
    } catch {
      return undefined;
    }
  }

  async function readBuilder(build: BuildObject | undefined): Promise<BuilderObject | undefined> {
    const ann = build?.metadata?.annotations ?? {};
    const name = ann["image.kpack.io/builderName"];
    if (!name) return undefined;
    // kpack writes builderKind from an informer object whose kind is often
    // empty, so try a namespaced Builder first, then a ClusterBuilder.
    const kinds = ann["image.kpack.io/builderKind"] ? [ann["image.kpack.io/builderKind"]] : ["Builder", "ClusterBuilder"];
    for (const kind of kinds) {
      try {
        return await objects.read<BuilderObject>({
          apiVersion: "kpack.io/v1alpha2",
          kind,
          metadata: kind === "Builder" ? { name, namespace: build?.metadata?.namespace ?? "" } : { name },
        });
      } catch {
        // not this kind
      }
    }
    return undefined;
  }

  /** prepare: fetch the source into a directory that becomes the app layer. */
  async function prepareSource(pod: k8s.V1Pod, build: BuildObject | undefined, dir: string): Promise<void> {
    const source = build?.spec?.source ?? {};
    const files: Record<string, string | Buffer> = {
      "workspace/.pulumi-kpack-standin.json": JSON.stringify({ build: build?.metadata?.name, pod: pod.metadata?.name, source }, null, 2),
    };
    const url = source.blob?.url;
    if (url) {
      if (!isLoopbackUrl(url)) throw new StepFailure("prepare", `the build-pod stand-in fetches only loopback sources, not ${url}`);
      const r = await fetch(url, { signal: AbortSignal.timeout(30_000) });
      if (!r.ok) throw new StepFailure("prepare", `failed to fetch blob source ${url}: HTTP ${r.status}`);
      files["workspace/source.blob"] = Buffer.from(await r.arrayBuffer());
    }
    filesDir(path.dirname(dir), path.basename(dir), files);
  }

  async function walk(pod: k8s.V1Pod): Promise<void> {
    const ns = pod.metadata?.namespace ?? "";
    const name = pod.metadata?.name ?? "";
    const build = await readBuild(pod);
    const behaviour = behaviourFor(pod, build);
    const delay = behaviour.stepDelayMs ?? 25;
    const steps = (pod.spec?.initContainers ?? []).map((c) => c.name as Step);
    const containers = pod.spec?.containers ?? [];
    const imageOf = (n: string) => [...(pod.spec?.initContainers ?? []), ...containers].find((c) => c.name === n)?.image ?? "";
    const waiting = (n: string, reason: string): k8s.V1ContainerStatus => ({
      name: n, image: imageOf(n), imageID: "", ready: false, restartCount: 0, started: false, state: { waiting: { reason } },
    });
    const set = (list: k8s.V1ContainerStatus[] | undefined, st: k8s.V1ContainerStatus) => {
      const i = (list ?? []).findIndex((x) => x.name === st.name);
      if (list && i >= 0) list[i] = st;
    };
    log(`pod ${ns}/${name}: walking ${steps.join(", ")}, completion${behaviour.fail ? ` (will fail ${behaviour.fail.step})` : ""}`);
    const now = () => new Date();
    const startTime = now();
    await updateStatus(ns, name, (s) => {
      s.phase = "Pending";
      s.startTime = startTime;
      s.hostIP = "127.0.0.1";
      s.conditions = [
        { type: "PodScheduled", status: "True", lastTransitionTime: startTime },
        { type: "Initialized", status: "False", reason: "ContainersNotInitialized", lastTransitionTime: startTime },
        { type: "ContainersReady", status: "False", reason: "ContainersNotReady", lastTransitionTime: startTime },
        { type: "Ready", status: "False", reason: "ContainersNotReady", lastTransitionTime: startTime },
      ];
      s.initContainerStatuses = steps.map((n) => waiting(n, "PodInitializing"));
      s.containerStatuses = containers.map((c) => waiting(c.name, "PodInitializing"));
    });

    const scratch = fs.mkdtempSync(path.join(opts.workDir, `${name}-`));
    const sourceDir = path.join(scratch, "layer");
    let credentials: Record<string, Credentials> = {};
    let pushedRef = "";
    const runImage = envOf(pod, "prepare", "RUN_IMAGE") ?? "";
    const builder = await readBuilder(build);
    const stackID = builder?.status?.stack?.id ?? "";
    const lifecycleVersion = builder?.status?.lifecycle?.version ?? "";
    const groupIds = new Set((builder?.status?.order?.[0]?.group ?? []).map((g) => g.id));
    const buildpacks = (builder?.status?.builderMetadata ?? []).filter((b) => groupIds.size === 0 || groupIds.has(b.id));
    const stackRunImage = runImage.includes("@") ? `${repositoryOf(runImage)}@${runImage.split("@")[1]}` : runImage;

    const fail = async (step: Step, message: string) => {
      const at = now();
      log(`pod ${ns}/${name}: step ${step} fails: ${message}`);
      await updateStatus(ns, name, (s) => {
        s.phase = "Failed";
        const st = (s.initContainerStatuses ?? []).find((x) => x.name === step) ?? (s.containerStatuses ?? []).find((x) => x.name === step);
        if (st) {
          st.state = { terminated: { exitCode: 1, reason: "Error", message, startedAt: at, finishedAt: at } };
          st.started = false;
        }
      });
    };

    try {
      for (const step of steps) {
        const started = now();
        await updateStatus(ns, name, (s) => set(s.initContainerStatuses, { ...waiting(step, ""), started: true, state: { running: { startedAt: started } } }));
        await sleep(delay);
        if (behaviour.fail?.step === step) throw new StepFailure(step, behaviour.fail.message);
        if (step === "prepare") {
          credentials = await podCredentials(pod);
          await prepareSource(pod, build, sourceDir);
        } else if (step === "export") {
          const tags = build?.spec?.tags ?? [];
          if (tags.length === 0) throw new StepFailure("export", "the Build has no tags");
          try {
            const pushed = await buildImage({
              base: runImage || undefined,
              layers: [{ dir: sourceDir }],
              labels: {
                "io.buildpacks.stack.id": stackID,
                "io.buildpacks.build.metadata": JSON.stringify({
                  buildpacks: buildpacks.map((b) => ({ id: b.id, version: b.version, homepage: b.homepage ?? "" })),
                  launcher: { version: lifecycleVersion },
                  processes: [],
                }),
                "io.buildpacks.lifecycle.metadata": JSON.stringify({
                  runImage: { reference: runImage },
                  stack: { runImage: { image: repositoryOf(runImage) } },
                }),
                "pulumi-kpack.test/stand-in": "true",
              },
              tags,
              credentials,
            });
            pushedRef = pushed.ref;
            log(`pod ${ns}/${name}: pushed ${pushedRef} (tags ${tags.join(", ")})`);
          } catch (e) {
            // The real exporter fails the same way without push credentials.
            throw new StepFailure("export", `ERROR: failed to export: saving image ${tags[0]} to ${hostOf(tags[0])}: ${(e as Error).message}`);
          }
        }
        const finished = now();
        await updateStatus(ns, name, (s) => set(s.initContainerStatuses, {
          ...waiting(step, ""), state: { terminated: { exitCode: 0, reason: "Completed", startedAt: started, finishedAt: finished } },
        }));
      }
      const started = now();
      await updateStatus(ns, name, (s) => {
        s.phase = "Running";
        for (const c of s.conditions ?? []) if (c.type === "Initialized") Object.assign(c, { status: "True", reason: undefined, lastTransitionTime: started });
        for (const c of containers) set(s.containerStatuses, { ...waiting(c.name, ""), started: true, ready: true, state: { running: { startedAt: started } } });
      });
      await sleep(delay);
      if (behaviour.fail?.step === "completion") throw new StepFailure("completion", behaviour.fail.message);
      const message = compressBuildMetadata({
        buildpackMetadata: buildpacks.map((b) => ({ id: b.id, version: b.version, homepage: b.homepage ?? "" })),
        latestImage: pushedRef,
        latestCacheImage: "",
        stackID,
        stackRunImage,
        lifecycleVersion,
      });
      const finished = now();
      await updateStatus(ns, name, (s) => {
        s.phase = "Succeeded";
        for (const c of containers) {
          set(s.containerStatuses, {
            ...waiting(c.name, ""),
            state: { terminated: { exitCode: 0, reason: "Completed", startedAt: started, finishedAt: finished, ...(c.name === "completion" ? { message } : {}) } },
          });
        }
      });
      log(`pod ${ns}/${name}: succeeded`);
    } catch (e) {
      if (e instanceof StepFailure) await fail(e.step, e.message);
      else throw e;
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  }

  function onPod(pod: k8s.V1Pod): void {
    const uid = pod.metadata?.uid ?? "";
    if (stopped || seen.has(uid)) return;
    // Pods already walked (by an earlier stand-in) are left as they are.
    if (pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed" || pod.status?.initContainerStatuses?.length) return;
    seen.add(uid);
    const p = walk(pod)
      .then(() => { handled++; })
      .catch((e: unknown) => log(`pod ${pod.metadata?.namespace}/${pod.metadata?.name}: stand-in error: ${(e as Error).stack ?? String(e)}`))
      .finally(() => running.delete(p));
    running.add(p);
  }

  const informer = k8s.makeInformer(kc, "/api/v1/pods", () => core.listPodForAllNamespaces({ labelSelector: BUILD_LABEL }), BUILD_LABEL);
  informer.on("add", onPod);
  informer.on("update", onPod);
  informer.on("error", (err: unknown) => {
    if (stopped) return;
    log(`watch error, restarting in 1s: ${(err as Error)?.message ?? String(err)}`);
    setTimeout(() => { if (!stopped) void informer.start().catch(() => undefined); }, 1000);
  });
  await informer.start();
  return {
    plan(match, behaviour) {
      plans.push({ match, behaviour });
    },
    get handled() {
      return handled;
    },
    logFile: opts.logFile,
    async stop() {
      stopped = true;
      await informer.stop();
      await Promise.allSettled([...running]);
    },
  };
}
