import * as fs from "node:fs";
import * as https from "node:https";
import * as path from "node:path";
import { selfSignedServingCert } from "./certs";
import * as k8s from "@kubernetes/client-node";
import { Managed, start, stop } from "./processes";
import { Credentials } from "./registry";
import { resolveUser, Rootfs, RootfsCache } from "./rootfs";

/**
 * The kubelet for kpack's build pods (label kpack.io/build), and only for
 * them. Everything a build does is real: each container runs from its real
 * image (pulled from the loopback registry, unpacked once per digest), with
 * its command, args, env, working dir, user and group, in a root of its own (an
 * overlay over the unpacked image, in private mount and PID namespaces) with
 * the pod's volumes mounted: emptyDir, Secret, ConfigMap, downwardAPI,
 * projected (service-account tokens from the TokenRequest API), and the
 * hostPath directory of each claim's bound PersistentVolume. Init containers
 * run in order, then the main container, within the pod's
 * activeDeadlineSeconds (then killed, the pod Failed with DeadlineExceeded); the pod status gets what a kubelet
 * writes (phase, container states, exit codes, termination messages read from
 * terminationMessagePath). Each container's log is a file, served to the
 * apiserver's pod log endpoint (kubectl logs) through a Node object this
 * runner registers and a kubelet-like HTTPS endpoint on loopback.
 *
 * The one thing not real is the Kubernetes node itself: no kubelet, no
 * container runtime, no cgroups or resource limits, no seccomp, the host
 * network (everything the builds reach is on 127.0.0.1).
 *
 * Processes start through processes.ts (setsid, pdeathsig), so a killed test
 * run kills its builds; each container's PID namespace dies with its first
 * process.
 */
export interface BuildPodRunner {
  /** Pods run to the end so far. */
  readonly handled: number;
  /** The runner's own log. */
  logFile: string;
  /** Where pod <ns>/<name>'s container logs are: <dir>/<container>.log. */
  podDir(namespace: string, name: string): string;
  stop(): Promise<void>;
}

export interface RunnerOptions {
  kubeConfig: k8s.KubeConfig;
  logFile: string;
  /** Scratch: unpacked images, pod directories, volumes. */
  workDir: string;
}

const BUILD_LABEL = "kpack.io/build";
export const NODE_NAME = "pulumi-kpack-build-node";
/** The PATH runc and containerd give a container whose image sets none. */
const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** POSIX shell quoting. */
function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Kubernetes $(VAR) expansion ($$ escapes; unknown names stay as written). */
export function expand(s: string, env: Record<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => (name === undefined ? "$" : (env[name] ?? m)));
}

/** A downward-API fieldRef of a pod, as the kubelet resolves it. */
export function podField(pod: k8s.V1Pod, fieldPath: string): string {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (m) return (m[1] === "labels" ? pod.metadata?.labels : pod.metadata?.annotations)?.[m[2]] ?? "";
  const map = (o: Record<string, string> | undefined) =>
    Object.entries(o ?? {})
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join("\n");
  switch (fieldPath) {
    case "metadata.name":
      return pod.metadata?.name ?? "";
    case "metadata.namespace":
      return pod.metadata?.namespace ?? "";
    case "metadata.uid":
      return pod.metadata?.uid ?? "";
    case "metadata.labels":
      return map(pod.metadata?.labels);
    case "metadata.annotations":
      return map(pod.metadata?.annotations);
    case "spec.nodeName":
      return NODE_NAME;
    case "spec.serviceAccountName":
      return pod.spec?.serviceAccountName ?? "";
    case "status.hostIP":
    case "status.podIP":
      return "127.0.0.1";
    default:
      throw new Error(`fieldRef ${fieldPath} is not supported by the build-pod runner`);
  }
}

class ContainerError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startBuildPodRunner(opts: RunnerOptions): Promise<BuildPodRunner> {
  const kc = opts.kubeConfig;
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const images = new RootfsCache(path.join(opts.workDir, "images"));
  const podsRoot = path.join(opts.workDir, "pods");
  fs.mkdirSync(podsRoot, { recursive: true });
  const seen = new Set<string>();
  const running = new Set<Promise<void>>();
  /** The container process of each pod (by uid) while one runs, to kill when the pod is deleted. */
  const current = new Map<string, Managed>();
  const deleted = new Set<string>();
  let handled = 0;
  let stopped = false;
  const log = (msg: string) => fs.appendFileSync(opts.logFile, `${new Date().toISOString()} ${msg}\n`);
  log("pulumi-kpack build-pod runner: the kubelet for pods labelled kpack.io/build; containers run from their real images.");
  const podDir = (ns: string, name: string) => path.join(podsRoot, ns, name);

  // --- The node: a Node object and the kubelet's log endpoint, so `kubectl logs` works on build pods. ---
  const tls = selfSignedServingCert(path.join(opts.workDir, "tls"), "kubelet", NODE_NAME);
  const server = https.createServer({ ...tls }, (req, res) => {
    const url = new URL(req.url ?? "/", "https://127.0.0.1");
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    const file = m ? path.join(podDir(m[1], m[2]), `${m[3]}.log`) : "";
    if (req.method !== "GET" || !m || !fs.existsSync(file)) {
      res.writeHead(404, { "content-type": "text/plain" }).end(m ? `no log for container ${m[3]} of pod ${m[1]}/${m[2]}\n` : "not found\n");
      return;
    }
    res.writeHead(200, { "content-type": "text/plain" });
    let text = fs.readFileSync(file, "utf8");
    const tailLines = Number(url.searchParams.get("tailLines") ?? NaN);
    if (tailLines >= 0)
      text = text
        .split("\n")
        .slice(-tailLines - 1)
        .join("\n");
    if (url.searchParams.get("follow") !== "true") {
      res.end(text);
      return;
    }
    // follow: stream what is appended until the container's exit is recorded.
    res.write(text);
    let offset = Buffer.byteLength(fs.readFileSync(file, "utf8"));
    const done = path.join(podDir(m[1], m[2]), `${m[3]}.exit`);
    const timer = setInterval(() => {
      const size = fs.statSync(file).size;
      if (size > offset) {
        const fd = fs.openSync(file, "r");
        const buf = Buffer.alloc(size - offset);
        fs.readSync(fd, buf, 0, buf.length, offset);
        fs.closeSync(fd);
        offset = size;
        res.write(buf);
      }
      if (fs.existsSync(done) || stopped) {
        clearInterval(timer);
        res.end();
      }
    }, 200);
    req.on("close", () => clearInterval(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  // No heartbeat: no node lifecycle controller runs here, and status writes would count as cluster writes in tests.
  const nodeStatus = (): k8s.V1NodeStatus => ({
    addresses: [{ type: "InternalIP", address: "127.0.0.1" }],
    daemonEndpoints: { kubeletEndpoint: { Port: port } },
    conditions: [
      {
        type: "Ready",
        status: "True",
        reason: "KubeletReady",
        message: "pulumi-kpack build-pod runner",
        lastHeartbeatTime: new Date(),
        lastTransitionTime: new Date(),
      },
    ],
    nodeInfo: {
      architecture: "amd64",
      operatingSystem: "linux",
      bootID: "",
      containerRuntimeVersion: "none (pulumi-kpack build-pod runner)",
      kernelVersion: "",
      kubeProxyVersion: "",
      kubeletVersion: "pulumi-kpack-build-pod-runner",
      machineID: "",
      osImage: "",
      systemUUID: "",
    },
  });
  {
    const body: k8s.V1Node = { metadata: { name: NODE_NAME, labels: { "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64" } } };
    await core.deleteNode({ name: NODE_NAME }).catch(() => undefined);
    const created = await core.createNode({ body });
    await core.replaceNodeStatus({ name: NODE_NAME, body: { ...created, status: nodeStatus() } });
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

  async function secretData(ns: string, name: string, optional?: boolean): Promise<Record<string, Buffer> | undefined> {
    try {
      const s = await core.readNamespacedSecret({ name, namespace: ns });
      return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64")]));
    } catch (e) {
      if (optional) return undefined;
      throw new ContainerError("CreateContainerConfigError", `secret "${name}" not found: ${(e as Error).message}`);
    }
  }

  async function configMapData(ns: string, name: string, optional?: boolean): Promise<Record<string, Buffer> | undefined> {
    try {
      const c = await core.readNamespacedConfigMap({ name, namespace: ns });
      return Object.fromEntries([
        ...Object.entries(c.data ?? {}).map(([k, v]) => [k, Buffer.from(v)] as const),
        ...Object.entries(c.binaryData ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64")] as const),
      ]);
    } catch (e) {
      if (optional) return undefined;
      throw new ContainerError("CreateContainerConfigError", `configmap "${name}" not found: ${(e as Error).message}`);
    }
  }

  /** Pull credentials: the pod's imagePullSecrets and its ServiceAccount's (the ServiceAccount admission plugin is off here). */
  async function pullCredentials(pod: k8s.V1Pod): Promise<Record<string, Credentials>> {
    const ns = pod.metadata?.namespace ?? "";
    const names = (pod.spec?.imagePullSecrets ?? []).map((s) => s.name ?? "");
    try {
      const sa = await core.readNamespacedServiceAccount({ name: pod.spec?.serviceAccountName || "default", namespace: ns });
      names.push(...(sa.imagePullSecrets ?? []).map((s) => s.name ?? ""));
    } catch {
      // no ServiceAccount: only the pod's own
    }
    const creds: Record<string, Credentials> = {};
    for (const name of names.filter(Boolean)) {
      const data = await secretData(ns, name, true);
      const raw = data?.[".dockerconfigjson"] ?? data?.[".dockercfg"];
      if (!raw) continue;
      type Auth = { auth?: string; username?: string; password?: string };
      const parsed = JSON.parse(raw.toString("utf8")) as { auths?: Record<string, Auth> } & Record<string, Auth>;
      for (const [reg, a] of Object.entries(parsed.auths ?? parsed)) {
        const [username, password] = a.auth ? Buffer.from(a.auth, "base64").toString("utf8").split(/:(.*)/s) : [a.username ?? "", a.password ?? ""];
        creds[reg.replace(/^https?:\/\//, "").replace(/\/.*$/, "")] ??= { username, password };
      }
    }
    return creds;
  }

  /** Writes key → content files into dir (all keys, or the listed items), as a Secret/ConfigMap volume holds them. */
  function writeKeys(
    dir: string,
    data: Record<string, Buffer>,
    items: Array<{ key: string; path: string; mode?: number }> | undefined,
    mode: number,
    gid?: number,
  ): void {
    fs.mkdirSync(dir, { recursive: true });
    const entries = items
      ? items.map((i) => [i.path, data[i.key], i.mode ?? mode] as const)
      : Object.entries(data).map(([k, v]) => [k, v, mode] as const);
    for (const [rel, content, m] of entries) {
      if (content === undefined) continue;
      const f = path.join(dir, rel);
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.writeFileSync(f, content, { mode: m });
      fs.chmodSync(f, m);
      if (gid !== undefined) fs.chownSync(f, 0, gid);
    }
  }

  /**
   * The host directory of the PersistentVolume bound to claim ns/name. A
   * scheduler would not place a pod whose claim is still unbound; the runner
   * waits for the binding up to a minute instead.
   */
  async function boundVolumeDir(ns: string, name: string): Promise<string> {
    const until = Date.now() + 60_000;
    let last = "not found";
    while (Date.now() < until && !stopped) {
      try {
        const pvc = await core.readNamespacedPersistentVolumeClaim({ name, namespace: ns });
        last = `phase ${pvc.status?.phase ?? "unknown"}`;
        if (pvc.status?.phase === "Bound" && pvc.spec?.volumeName) {
          const pv = await core.readPersistentVolume({ name: pvc.spec.volumeName });
          const dir = pv.spec?.hostPath?.path;
          if (!dir)
            throw new ContainerError(
              "CreateContainerConfigError",
              `PersistentVolume ${pv.metadata?.name} of claim ${ns}/${name} is not a hostPath volume, the only kind this node mounts`,
            );
          fs.mkdirSync(dir, { recursive: true });
          return dir;
        }
      } catch (e) {
        if (e instanceof ContainerError) throw e;
        last = (e as Error).message;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new ContainerError("CreateContainerConfigError", `persistentvolumeclaim "${name}" is not bound (${last})`);
  }

  /** Makes each volume of the pod on the host: volume name → host directory. */
  async function makeVolumes(pod: k8s.V1Pod, dir: string): Promise<Map<string, string>> {
    const ns = pod.metadata?.namespace ?? "";
    const fsGroup = pod.spec?.securityContext?.fsGroup;
    const out = new Map<string, string>();
    for (const v of pod.spec?.volumes ?? []) {
      const host = path.join(dir, "volumes", v.name);
      fs.mkdirSync(host, { recursive: true });
      if (v.emptyDir) {
        // kubelet: world-writable, group fsGroup with setgid so files stay in it.
        if (fsGroup !== undefined) fs.chownSync(host, 0, fsGroup);
        fs.chmodSync(host, 0o2777);
      } else if (v.secret) {
        const data = await secretData(ns, v.secret.secretName ?? "", v.secret.optional);
        writeKeys(host, data ?? {}, v.secret.items, v.secret.defaultMode ?? 0o644, fsGroup);
      } else if (v.configMap) {
        const data = await configMapData(ns, v.configMap.name ?? "", v.configMap.optional);
        writeKeys(host, data ?? {}, v.configMap.items, v.configMap.defaultMode ?? 0o644, fsGroup);
      } else if (v.downwardAPI) {
        const data = Object.fromEntries(
          (v.downwardAPI.items ?? []).map((i) => [i.path, Buffer.from(i.fieldRef ? podField(pod, i.fieldRef.fieldPath) : "")]),
        );
        writeKeys(host, data, undefined, v.downwardAPI.defaultMode ?? 0o644, fsGroup);
      } else if (v.projected) {
        const mode = v.projected.defaultMode ?? 0o644;
        for (const s of v.projected.sources ?? []) {
          if (s.secret) writeKeys(host, (await secretData(ns, s.secret.name ?? "", s.secret.optional)) ?? {}, s.secret.items, mode, fsGroup);
          else if (s.configMap)
            writeKeys(host, (await configMapData(ns, s.configMap.name ?? "", s.configMap.optional)) ?? {}, s.configMap.items, mode, fsGroup);
          else if (s.downwardAPI) {
            writeKeys(
              host,
              Object.fromEntries(
                (s.downwardAPI.items ?? []).map((i) => [i.path, Buffer.from(i.fieldRef ? podField(pod, i.fieldRef.fieldPath) : "")]),
              ),
              undefined,
              mode,
              fsGroup,
            );
          } else if (s.serviceAccountToken) {
            // As a kubelet: a token bound to this pod from the TokenRequest API, for the pod's ServiceAccount.
            const tr = await core.createNamespacedServiceAccountToken({
              name: pod.spec?.serviceAccountName ?? "default",
              namespace: ns,
              body: {
                spec: {
                  audiences: s.serviceAccountToken.audience ? [s.serviceAccountToken.audience] : [],
                  expirationSeconds: s.serviceAccountToken.expirationSeconds ?? 3607,
                  boundObjectRef: { apiVersion: "v1", kind: "Pod", name: pod.metadata?.name, uid: pod.metadata?.uid },
                },
              },
            });
            writeKeys(host, { [s.serviceAccountToken.path]: Buffer.from(tr.status?.token ?? "") }, undefined, mode, fsGroup);
          }
        }
      } else if (v.persistentVolumeClaim) {
        // The claim's bound PersistentVolume (kcm's hostpath provisioner made its directory).
        const claim = await boundVolumeDir(ns, v.persistentVolumeClaim.claimName);
        // kind's local-path provisioner makes its directories world-writable; kcm's makes them 0750 root.
        if (fsGroup !== undefined) fs.chownSync(claim, 0, fsGroup);
        fs.chmodSync(claim, 0o2777);
        fs.rmSync(host, { recursive: true });
        fs.symlinkSync(claim, host);
        out.set(v.name, claim);
        continue;
      } else {
        throw new ContainerError(
          "CreateContainerConfigError",
          `volume ${v.name}: only emptyDir, secret, configMap, downwardAPI, projected and persistentVolumeClaim (hostPath PersistentVolume) volumes are supported by the build-pod runner`,
        );
      }
      out.set(v.name, host);
    }
    return out;
  }

  async function containerEnv(pod: k8s.V1Pod, c: k8s.V1Container, image: Rootfs): Promise<Record<string, string>> {
    const ns = pod.metadata?.namespace ?? "";
    const env: Record<string, string> = { PATH: DEFAULT_PATH, HOSTNAME: pod.metadata?.name ?? "" };
    for (const kv of image.config.Env ?? []) {
      const i = kv.indexOf("=");
      if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
    }
    for (const from of c.envFrom ?? []) {
      const data = from.secretRef
        ? await secretData(ns, from.secretRef.name ?? "", from.secretRef.optional)
        : from.configMapRef
          ? await configMapData(ns, from.configMapRef.name ?? "", from.configMapRef.optional)
          : undefined;
      for (const [k, v] of Object.entries(data ?? {})) env[`${from.prefix ?? ""}${k}`] = v.toString("utf8");
    }
    for (const e of c.env ?? []) {
      if (e.valueFrom?.fieldRef) env[e.name] = podField(pod, e.valueFrom.fieldRef.fieldPath);
      else if (e.valueFrom?.secretKeyRef) {
        const r = e.valueFrom.secretKeyRef;
        const v = (await secretData(ns, r.name ?? "", r.optional))?.[r.key];
        if (v === undefined && !r.optional)
          throw new ContainerError("CreateContainerConfigError", `couldn't find key ${r.key} in Secret ${ns}/${r.name}`);
        if (v !== undefined) env[e.name] = v.toString("utf8");
      } else if (e.valueFrom?.configMapKeyRef) {
        const r = e.valueFrom.configMapKeyRef;
        const v = (await configMapData(ns, r.name ?? "", r.optional))?.[r.key];
        if (v === undefined && !r.optional)
          throw new ContainerError("CreateContainerConfigError", `couldn't find key ${r.key} in ConfigMap ${ns}/${r.name}`);
        if (v !== undefined) env[e.name] = v.toString("utf8");
      } else if (e.valueFrom) {
        throw new ContainerError(
          "CreateContainerConfigError",
          `env ${e.name}: valueFrom ${Object.keys(e.valueFrom).join(", ")} is not supported by the build-pod runner`,
        );
      } else env[e.name] = expand(e.value ?? "", env);
    }
    return env;
  }

  /**
   * Runs one container to its end; returns its terminated state. The setup
   * script runs on the host in the container's new mount and PID namespaces:
   * overlay root, /proc, /dev, volumes, termination-log file, then
   * `unshare --root --wd --setuid --setgid` execs the command in that root.
   */
  async function runContainer(
    pod: k8s.V1Pod,
    c: k8s.V1Container,
    volumes: Map<string, string>,
    credentials: Record<string, Credentials>,
    dir: string,
  ): Promise<k8s.V1ContainerStateTerminated & { imageID: string }> {
    const image = await images.get(c.image ?? "", credentials).catch((e: Error) => {
      throw new ContainerError("ErrImagePull", `failed to pull image "${c.image}": ${e.message}`);
    });
    const env = await containerEnv(pod, c, image);
    const command = (c.command ?? image.config.Entrypoint ?? []).map((s) => expand(s, env));
    const args = (c.args ?? (c.command ? [] : (image.config.Cmd ?? []))).map((s) => expand(s, env));
    const argv = [...command, ...args];
    if (argv.length === 0) throw new ContainerError("CreateContainerConfigError", `container ${c.name}: no command specified`);
    const psc = pod.spec?.securityContext ?? {};
    const csc = c.securityContext ?? {};
    const fromImage = resolveUser(image.dir, image.config.User);
    const uid = csc.runAsUser ?? psc.runAsUser ?? fromImage.uid ?? 0;
    const gid = csc.runAsGroup ?? psc.runAsGroup ?? fromImage.gid ?? 0;
    if ((csc.runAsNonRoot ?? psc.runAsNonRoot) && uid === 0) {
      throw new ContainerError("CreateContainerConfigError", "container has runAsNonRoot and image will run as root");
    }
    const wd = c.workingDir || image.config.WorkingDir || "/";
    const cdir = path.join(dir, "containers", c.name);
    fs.rmSync(cdir, { recursive: true, force: true });
    for (const d of ["upper", "work", "merged"]) fs.mkdirSync(path.join(cdir, d), { recursive: true });
    const termFile = path.join(dir, `${c.name}.termination-log`);
    fs.writeFileSync(termFile, "");
    fs.chmodSync(termFile, 0o666);
    const M = path.join(cdir, "merged");
    const inRoot = (p: string) => q(path.join(M, p));
    const lines = [
      "set -e",
      `/bin/mount -t overlay overlay -o ${q(`lowerdir=${image.dir},upperdir=${path.join(cdir, "upper")},workdir=${path.join(cdir, "work")}`)} ${q(M)}`,
      `/bin/mkdir -p ${inRoot("proc")} ${inRoot("dev")} ${inRoot("etc")} ${inRoot(wd)}`,
      `[ -d ${inRoot("tmp")} ] || { /bin/mkdir -p ${inRoot("tmp")} && /bin/chmod 1777 ${inRoot("tmp")}; }`,
      `/bin/mount -t proc proc ${inRoot("proc")}`,
      `/bin/mount --rbind /dev ${inRoot("dev")}`,
      `/bin/cp /etc/hosts ${inRoot("etc/hosts")}`,
      `[ -e ${inRoot("etc/resolv.conf")} ] || /bin/cp /etc/resolv.conf ${inRoot("etc/resolv.conf")} 2>/dev/null || true`,
    ];
    const bind = (src: string, target: string, readOnly: boolean) => {
      const isFile = fs.statSync(src).isFile();
      lines.push(
        isFile ? `/bin/mkdir -p ${q(path.dirname(path.join(M, target)))} && /bin/touch ${inRoot(target)}` : `/bin/mkdir -p ${inRoot(target)}`,
      );
      lines.push(`/bin/mount --bind ${q(src)} ${inRoot(target)}`);
      if (readOnly) lines.push(`/bin/mount -o remount,bind,ro ${inRoot(target)}`);
    };
    for (const vm of c.volumeMounts ?? []) {
      const host = volumes.get(vm.name);
      if (!host) throw new ContainerError("CreateContainerConfigError", `volume mount ${vm.name}: the pod has no such volume`);
      const src = vm.subPath ? path.join(host, vm.subPath) : host;
      if (vm.subPath) fs.mkdirSync(src, { recursive: true });
      bind(src, vm.mountPath, vm.readOnly ?? false);
    }
    bind(termFile, c.terminationMessagePath || "/dev/termination-log", false);
    // env -i: the container sees exactly its env; unshare (a host binary) chroots, sets ids and execs argv[0] from the container's PATH.
    lines.push(
      `exec /usr/bin/env -i ${Object.entries(env)
        .map(([k, v]) => q(`${k}=${v}`))
        .join(" ")} /usr/bin/unshare --root=${q(M)} --wd=${q(wd)} --setgid=${gid} --setuid=${uid} -- ${argv.map(q).join(" ")}`,
    );
    const script = path.join(cdir, "start.sh");
    fs.writeFileSync(script, lines.join("\n") + "\n", { mode: 0o600 });
    const logFile = path.join(dir, `${c.name}.log`);
    const startedAt = new Date();
    const proc = start(
      `${pod.metadata?.name}/${c.name}`,
      "/usr/bin/unshare",
      ["--mount", "--pid", "--fork", "--kill-child", "--propagation", "private", "--", "/bin/sh", script],
      {
        logFile,
        env: { PATH: DEFAULT_PATH },
      },
    );
    const uidKey = pod.metadata?.uid ?? "";
    current.set(uidKey, proc);
    const exitCode = (await proc.exited) ?? 137;
    current.delete(uidKey);
    const finishedAt = new Date();
    fs.writeFileSync(path.join(dir, `${c.name}.exit`), String(exitCode));
    // The overlay is gone with the mount namespace; the upper dir is not needed once the container ended.
    fs.rmSync(cdir, { recursive: true, force: true });
    let message = fs.readFileSync(termFile, "utf8").slice(0, 4096);
    if (!message && exitCode !== 0 && c.terminationMessagePolicy === "FallbackToLogsOnError") {
      message = fs.readFileSync(logFile, "utf8").split("\n").slice(-80).join("\n").slice(-2048);
    }
    return {
      exitCode,
      reason: exitCode === 0 ? "Completed" : "Error",
      ...(message ? { message } : {}),
      startedAt,
      finishedAt,
      containerID: `pulumi-kpack://${uidKey}/${c.name}`,
      imageID: image.imageID,
    };
  }

  async function runPod(pod: k8s.V1Pod): Promise<void> {
    const ns = pod.metadata?.namespace ?? "";
    const name = pod.metadata?.name ?? "";
    const uid = pod.metadata?.uid ?? "";
    const inits = pod.spec?.initContainers ?? [];
    const mains = pod.spec?.containers ?? [];
    const dir = podDir(ns, name);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    log(`pod ${ns}/${name}: running ${inits.map((c) => c.name).join(", ")}, then ${mains.map((c) => c.name).join(", ")}; logs in ${dir}`);
    if (!pod.spec?.nodeName) {
      // The scheduler's part: bind the pod to this node, so the apiserver routes its logs here.
      await core.createNamespacedPodBinding({
        name,
        namespace: ns,
        body: { metadata: { name }, target: { apiVersion: "v1", kind: "Node", name: NODE_NAME } },
      });
    }
    const waiting = (c: k8s.V1Container, reason: string, message?: string): k8s.V1ContainerStatus => ({
      name: c.name,
      image: c.image ?? "",
      imageID: "",
      ready: false,
      restartCount: 0,
      started: false,
      state: { waiting: { reason, ...(message ? { message } : {}) } },
    });
    const put = (list: k8s.V1ContainerStatus[] | undefined, st: k8s.V1ContainerStatus) => {
      const i = (list ?? []).findIndex((x) => x.name === st.name);
      if (list && i >= 0) list[i] = st;
    };
    const startTime = new Date();
    await updateStatus(ns, name, (s) => {
      s.phase = "Pending";
      s.startTime = startTime;
      s.hostIP = "127.0.0.1";
      s.hostIPs = [{ ip: "127.0.0.1" }];
      s.conditions = [
        { type: "PodScheduled", status: "True", lastTransitionTime: startTime },
        { type: "Initialized", status: "False", reason: "ContainersNotInitialized", lastTransitionTime: startTime },
        { type: "ContainersReady", status: "False", reason: "ContainersNotReady", lastTransitionTime: startTime },
        { type: "Ready", status: "False", reason: "ContainersNotReady", lastTransitionTime: startTime },
      ];
      s.initContainerStatuses = inits.map((c) => waiting(c, "PodInitializing"));
      s.containerStatuses = mains.map((c) => waiting(c, "PodInitializing"));
    });

    // activeDeadlineSeconds, as a kubelet enforces it: counted from the pod's start; then its containers are killed and the pod fails.
    let deadlineExceeded = false;
    const deadlineSeconds = pod.spec?.activeDeadlineSeconds;
    const deadlineTimer =
      deadlineSeconds !== undefined
        ? setTimeout(() => {
            deadlineExceeded = true;
            log(`pod ${ns}/${name}: active longer than its activeDeadlineSeconds (${deadlineSeconds}); killing its containers`);
            const proc = current.get(uid);
            if (proc) void stop(proc, 1000);
          }, deadlineSeconds * 1000)
        : undefined;
    deadlineTimer?.unref();

    let credentials: Record<string, Credentials> = {};
    let volumes = new Map<string, string>();
    /** Runs one container with status updates; true when it exited 0. */
    const step = async (c: k8s.V1Container, init: boolean): Promise<boolean> => {
      const list = (s: k8s.V1PodStatus) => (init ? s.initContainerStatuses : s.containerStatuses);
      const begun = new Date();
      await updateStatus(ns, name, (s) => put(list(s), { ...waiting(c, ""), started: true, state: { running: { startedAt: begun } } }));
      for (let attempt = 0; ; attempt++) {
        if (deadlineExceeded) return false;
        try {
          const { imageID, ...terminated } = await runContainer(pod, c, volumes, credentials, dir);
          await updateStatus(ns, name, (s) => put(list(s), { ...waiting(c, ""), imageID, started: false, state: { terminated } }));
          log(`pod ${ns}/${name}: ${c.name} exited ${terminated.exitCode}${terminated.exitCode ? ` (log: ${path.join(dir, `${c.name}.log`)})` : ""}`);
          return terminated.exitCode === 0;
        } catch (e) {
          if (e instanceof ContainerError && deadlineExceeded) return false;
          if (!(e instanceof ContainerError) || deleted.has(uid) || stopped) throw e;
          // As a kubelet does: the container stays waiting with the reason, and the kubelet retries.
          log(`pod ${ns}/${name}: ${c.name}: ${e.reason}: ${e.message}`);
          await updateStatus(ns, name, (s) =>
            put(list(s), waiting(c, attempt > 0 && e.reason === "ErrImagePull" ? "ImagePullBackOff" : e.reason, e.message)),
          );
          await new Promise((r) => setTimeout(r, Math.min(2000 * (attempt + 1), 10_000)));
        }
      }
    };
    const finish = async (phase: "Succeeded" | "Failed") => {
      clearTimeout(deadlineTimer);
      if (deadlineExceeded) phase = "Failed";
      await updateStatus(ns, name, (s) => {
        s.phase = phase;
        if (deadlineExceeded) {
          s.reason = "DeadlineExceeded";
          s.message = "Pod was active on the node longer than the specified deadline";
        }
        for (const cond of s.conditions ?? []) {
          if (cond.type !== "PodScheduled") Object.assign(cond, { status: "False", reason: "PodCompleted", lastTransitionTime: new Date() });
        }
      });
      log(`pod ${ns}/${name}: ${phase}`);
    };

    try {
      credentials = await pullCredentials(pod);
      volumes = await makeVolumes(pod, dir);
    } catch (e) {
      const message = (e as Error).message;
      await updateStatus(ns, name, (s) => {
        for (const st of [...(s.initContainerStatuses ?? []), ...(s.containerStatuses ?? [])])
          st.state = { waiting: { reason: "CreateContainerConfigError", message } };
      });
      log(`pod ${ns}/${name}: ${message}`);
      clearTimeout(deadlineTimer);
      return;
    }
    for (const c of inits) {
      if (deadlineExceeded || !(await step(c, true))) return finish("Failed");
    }
    if (deadlineExceeded) return finish("Failed");
    const begun = new Date();
    await updateStatus(ns, name, (s) => {
      s.phase = "Running";
      for (const cond of s.conditions ?? [])
        if (cond.type === "Initialized") Object.assign(cond, { status: "True", reason: undefined, lastTransitionTime: begun });
    });
    const results = await Promise.all(mains.map((c) => step(c, false)));
    await finish(results.every(Boolean) ? "Succeeded" : "Failed");
  }

  function onPod(pod: k8s.V1Pod): void {
    const uid = pod.metadata?.uid ?? "";
    if (stopped || seen.has(uid) || pod.metadata?.deletionTimestamp) return;
    // Pods an earlier runner started are left as they are: their processes died with it.
    if (pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed" || pod.status?.initContainerStatuses?.length) return;
    seen.add(uid);
    const p = runPod(pod)
      .then(() => {
        handled++;
      })
      .catch((e: unknown) => {
        if (!deleted.has(uid)) log(`pod ${pod.metadata?.namespace}/${pod.metadata?.name}: runner error: ${(e as Error).stack ?? String(e)}`);
      })
      .finally(() => running.delete(p));
    running.add(p);
  }

  function onDelete(pod: k8s.V1Pod, gone = false): void {
    const uid = pod.metadata?.uid ?? "";
    const name = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    if (!deleted.has(uid)) log(`pod ${name}: ${gone ? "deleted" : "being deleted"}; stopping its containers`);
    deleted.add(uid);
    const proc = current.get(uid);
    const killed = proc ? stop(proc, 1000) : Promise.resolve();
    // A bound pod's graceful deletion waits for its kubelet: once its containers are dead, confirm it (grace period 0).
    if (!gone) {
      void killed
        .then(() =>
          core.deleteNamespacedPod({
            name: pod.metadata?.name ?? "",
            namespace: pod.metadata?.namespace ?? "",
            gracePeriodSeconds: 0,
            body: { gracePeriodSeconds: 0, preconditions: { uid } },
          }),
        )
        .catch((e: unknown) => log(`pod ${name}: confirming its deletion failed: ${(e as Error).message}`));
    }
  }

  // Graceful deletions are also swept for, in case a watch event was missed while the informer reconnected.
  const sweep = setInterval(() => {
    void core
      .listPodForAllNamespaces({ labelSelector: BUILD_LABEL })
      .then((l) => l.items.filter((p) => p.metadata?.deletionTimestamp && p.spec?.nodeName === NODE_NAME).forEach((p) => onDelete(p)))
      .catch(() => undefined);
  }, 2000);
  const informer = k8s.makeInformer(kc, "/api/v1/pods", () => core.listPodForAllNamespaces({ labelSelector: BUILD_LABEL }), BUILD_LABEL);
  informer.on("add", (p) => (p.metadata?.deletionTimestamp ? onDelete(p) : onPod(p)));
  informer.on("update", (p) => (p.metadata?.deletionTimestamp ? onDelete(p) : onPod(p)));
  informer.on("delete", (p) => onDelete(p, true));
  informer.on("error", (err: unknown) => {
    if (stopped) return;
    log(`watch error, restarting in 1s: ${(err as Error)?.message ?? String(err)}`);
    setTimeout(() => {
      if (!stopped) void informer.start().catch(() => undefined);
    }, 1000);
  });
  await informer.start();
  return {
    get handled() {
      return handled;
    },
    logFile: opts.logFile,
    podDir,
    async stop() {
      stopped = true;
      clearInterval(sweep);
      await informer.stop();
      for (const proc of current.values()) await stop(proc, 1000);
      await Promise.allSettled([...running]);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
