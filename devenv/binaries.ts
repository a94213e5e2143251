import * as fs from "node:fs";
import * as path from "node:path";
import * as crypto from "node:crypto";
import { spawn, spawnSync } from "node:child_process";
import { cacheRoot, repoRoot } from "./paths";
import { versions } from "./versions";

/**
 * Finds a binary the test environment needs, in the envtest order:
 * TEST_ASSET_<NAME> → $KUBEBUILDER_ASSETS/<name> → the per-user cache → a build
 * from the Go module proxy into that cache (once per machine and version).
 */
export interface BinarySpec {
  /** File name of the binary, e.g. "kube-apiserver". */
  name: string;
  /** Build script under scripts/build and its arguments. */
  script: string;
  args: string[];
  /** Cache subdirectory the script fills, e.g. "kubernetes-v1.34.4". */
  cacheDir: string;
  /** Whether TEST_ASSET_* / KUBEBUILDER_ASSETS apply (envtest binaries only). */
  envtest: boolean;
  /** Also accept a binary of this name from PATH (for the pulumi CLI). */
  fromPath?: boolean;
}

/**
 * Cache dir of one of our own Go modules under devenv/: named after a hash of
 * its sources, so an edit builds a new copy instead of reusing a stale one.
 */
function ownModuleCacheDir(module: string): string {
  const dir = path.join(repoRoot, "devenv", module);
  const h = crypto.createHash("sha256");
  for (const f of fs.readdirSync(dir).sort()) {
    if (!/\.(go|mod|sum)$/.test(f)) continue;
    h.update(f)
      .update("\0")
      .update(fs.readFileSync(path.join(dir, f)))
      .update("\0");
  }
  return `${module}-${h.digest("hex").slice(0, 12)}`;
}
/** kpack's controller or webhook of one version (scripts/build/kpack.sh builds both into one cache entry). */
export function kpackBinary(name: "controller" | "webhook", version: string): BinarySpec {
  return { name, script: "kpack.sh", args: [version], cacheDir: `kpack-v${version}`, envtest: false };
}

const imagetoolDir = ownModuleCacheDir("imagetool");
const buildpacksDir = ownModuleCacheDir("buildpacks");

export const binaries = {
  etcd: { name: "etcd", script: "etcd.sh", args: [versions.etcd], cacheDir: `etcd-v${versions.etcd}`, envtest: true },
  kubeApiserver: {
    name: "kube-apiserver",
    script: "kubernetes.sh",
    args: [versions.kubernetes],
    cacheDir: `kubernetes-v${versions.kubernetes}`,
    envtest: true,
  },
  kubeControllerManager: {
    name: "kube-controller-manager",
    script: "kubernetes.sh",
    args: [versions.kubernetes],
    cacheDir: `kubernetes-v${versions.kubernetes}`,
    envtest: true,
  },
  pulumi: {
    name: "pulumi",
    script: "pulumi.sh",
    args: [versions.pulumi],
    cacheDir: `pulumi-v${versions.pulumi}`,
    envtest: false,
    fromPath: true,
  },
  kpackController: {
    name: "controller",
    script: "kpack.sh",
    args: [versions.kpack],
    cacheDir: `kpack-v${versions.kpack}`,
    envtest: false,
  },
  /** kpack's admission and conversion webhook: the same script and cache entry as the controller. */
  kpackWebhook: kpackBinary("webhook", versions.kpack),
  /** The older release's controller and webhook, for the upgrade test. */
  kpackPreviousController: kpackBinary("controller", versions.kpackPrevious),
  kpackPreviousWebhook: kpackBinary("webhook", versions.kpackPrevious),
  registry: {
    name: "registry",
    script: "registry.sh",
    args: [versions.registry],
    cacheDir: `registry-v${versions.registry}`,
    envtest: false,
  },
  pulumiLanguageNodejs: {
    name: "pulumi-language-nodejs",
    script: "pulumi-language-nodejs.sh",
    args: [versions.pulumiLanguageNodejs],
    cacheDir: `pulumi-language-nodejs-v${versions.pulumiLanguageNodejs}`,
    envtest: false,
  },
  pulumiKubernetes: {
    name: "pulumi-resource-kubernetes",
    script: "pulumi-kubernetes.sh",
    args: [versions.pulumiKubernetes, versions.pulumiKubernetesModule],
    cacheDir: `pulumi-kubernetes-v${versions.pulumiKubernetes}`,
    envtest: false,
  },
  imagetool: { name: "imagetool", script: "own-module.sh", args: ["imagetool", imagetoolDir], cacheDir: imagetoolDir, envtest: false },
  /** The CNB lifecycle (multi-call `lifecycle` with its phase symlinks, and `launcher`) for the lifecycle image. */
  lifecycle: {
    name: "lifecycle",
    script: "lifecycle.sh",
    args: [versions.lifecycle],
    cacheDir: `lifecycle-v${versions.lifecycle}`,
    envtest: false,
  },
  /** kpack's build-pod binaries (build-init, completion, rebase, build-waiter), beside each other in one dir. */
  kpackBuildInit: {
    name: "build-init",
    script: "kpack-build.sh",
    args: [versions.kpack],
    cacheDir: `kpack-build-v${versions.kpack}`,
    envtest: false,
  },
  /** The test buildpacks' bin/detect and bin/build (one static program). */
  buildpacks: { name: "buildpacks", script: "own-module.sh", args: ["buildpacks", buildpacksDir], cacheDir: buildpacksDir, envtest: false },
  /** Debian's static busybox, the stack images' shell and coreutils. */
  busybox: { name: "busybox", script: "busybox.sh", args: [], cacheDir: "busybox-static", envtest: false },
  /** kubectl, from the wrapper module of kube-apiserver: objects made as users make them before a take-over (adopt), and the bench's other side. */
  kubectl: {
    name: "kubectl",
    script: "kubernetes.sh",
    args: [versions.kubernetes, "kubectl", "kubectl"],
    cacheDir: `kubectl-v${versions.kubernetes}`,
    envtest: false,
  },
} satisfies Record<string, BinarySpec>;

function envName(name: string): string {
  return "TEST_ASSET_" + name.toUpperCase().replace(/-/g, "_");
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

/** Where a binary would come from without building; undefined when it must be built. */
export function locate(spec: BinarySpec): { path: string; source: string } | undefined {
  if (spec.envtest) {
    const explicit = process.env[envName(spec.name)];
    if (explicit) {
      if (!isExecutable(explicit)) throw new Error(`${envName(spec.name)}=${explicit} is not an executable file.`);
      return { path: explicit, source: envName(spec.name) };
    }
    const assets = process.env.KUBEBUILDER_ASSETS;
    if (assets && isExecutable(path.join(assets, spec.name))) {
      return { path: path.join(assets, spec.name), source: "KUBEBUILDER_ASSETS" };
    }
  }
  if (spec.fromPath) {
    const found = onPath(spec.name);
    if (found) return { path: found, source: "PATH" };
  }
  const cached = path.join(cacheRoot(), "bin", spec.cacheDir, spec.name);
  if (isExecutable(cached)) return { path: cached, source: "cache" };
  return undefined;
}

/**
 * Returns the path of a binary, building it into the cache when nothing else has
 * it. Builds are serialized by a lock directory so parallel runs build once.
 */
export function ensureBinary(spec: BinarySpec): string {
  const found = locate(spec);
  if (found) return found.path;
  const lockDir = lockPath(spec);
  const started = Date.now();
  while (!tryLock(lockDir)) spawnSync("sleep", ["2"]);
  try {
    const again = locate(spec);
    if (again) return again.path;
    process.stderr.write(`pulumi-kpack test env: building ${spec.cacheDir} from the Go module proxy (once per machine)…\n`);
    const r = spawnSync("bash", [path.join(repoRoot, "scripts", "build", spec.script), ...spec.args], {
      stdio: ["ignore", "inherit", "inherit"],
      env: process.env,
    });
    if (r.status !== 0) {
      throw new Error(`Building ${spec.cacheDir} failed (scripts/build/${spec.script} exited ${r.status ?? r.signal}); see its output above.`);
    }
    const built = locate(spec);
    if (!built) throw new Error(`scripts/build/${spec.script} finished but ${spec.name} is not in ${path.join(cacheRoot(), "bin", spec.cacheDir)}.`);
    process.stderr.write(`pulumi-kpack test env: built ${spec.cacheDir} in ${Math.round((Date.now() - started) / 1000)}s\n`);
    return built.path;
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

function lockPath(spec: BinarySpec): string {
  const lockDir = path.join(cacheRoot(), "locks", spec.cacheDir);
  fs.mkdirSync(path.dirname(lockDir), { recursive: true });
  return lockDir;
}

/** Takes the build lock of a cache entry; a lock older than 2 hours belongs to a build that died (none takes that long). */
function tryLock(lockDir: string): boolean {
  try {
    fs.mkdirSync(lockDir);
    return true;
  } catch {
    let age: number;
    try {
      age = Date.now() - fs.statSync(lockDir).mtimeMs;
    } catch {
      return false; // released between the two calls: try again
    }
    if (age > 2 * 3600_000) fs.rmSync(lockDir, { recursive: true, force: true });
    return false;
  }
}

/**
 * ensureBinary without blocking the event loop, so several builds run at once
 * (their module downloads overlap the others' compiles). The script's output
 * goes to `logFile`, not the terminal; a failure's error carries its tail.
 */
export async function buildBinary(spec: BinarySpec, logFile: string): Promise<string> {
  const found = locate(spec);
  if (found) return found.path;
  const lockDir = lockPath(spec);
  while (!tryLock(lockDir)) await new Promise((r) => setTimeout(r, 2000));
  try {
    const again = locate(spec);
    if (again) return again.path;
    const out = fs.openSync(logFile, "a");
    const code = await new Promise<number | string>((resolve, reject) => {
      const child = spawn("bash", [path.join(repoRoot, "scripts", "build", spec.script), ...spec.args], {
        stdio: ["ignore", out, out],
        env: process.env,
      });
      child.on("error", reject);
      child.on("exit", (c, sig) => resolve(c ?? sig ?? "unknown"));
    }).finally(() => fs.closeSync(out));
    if (code !== 0) {
      const tail = fs.readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n");
      throw new Error(`Building ${spec.cacheDir} failed (scripts/build/${spec.script} exited ${code}); the end of ${logFile}:\n${tail}`);
    }
    const built = locate(spec);
    if (!built) throw new Error(`scripts/build/${spec.script} finished but ${spec.name} is not in ${path.join(cacheRoot(), "bin", spec.cacheDir)}.`);
    return built.path;
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}
