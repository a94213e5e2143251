import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { LocalWorkspace, PulumiCommand, PulumiFn, Stack } from "@pulumi/pulumi/automation";
import { binaries, ensureBinary } from "./binaries";
import { nodeBinDir, repoRoot } from "./paths";
import { versions } from "./versions";

/**
 * A real Pulumi CLI, fully offline: file backend and PULUMI_HOME in a scratch
 * directory, passphrase secrets, no update check, no plugin download.
 *
 * Programs run as users run them: programStack() copies a program directory
 * (Pulumi.yaml, index.ts) into the scratch directory, next to a node_modules
 * where pulumi-kpack is installed from the tarball `npm pack` makes, and the
 * CLI runs it there through the Node.js language host (pulumi-language-nodejs)
 * and ts-node; @pulumi/kubernetes runs through its real plugin. stack() runs
 * an inline program through the Automation API instead (the CLI talks to a
 * language runtime inside the test process), for the few tests where a
 * directory adds nothing. Either way the dynamic provider runs in its own
 * process started by the CLI.
 */
export interface PulumiEnv {
  bin: string;
  workDir: string;
  envVars: Record<string, string>;
  stack(projectName: string, stackName: string, program: PulumiFn, extraEnv?: Record<string, string>): Promise<Stack>;
  /**
   * A stack of the program directory `source` (e.g. examples/app-deployment),
   * run from a copy of it with pulumi-kpack installed from its tarball. `inPlace`
   * runs the program in place instead (the repository root's Pulumi.yaml).
   */
  programStack(
    source: string,
    stackName: string,
    opts?: { inPlace?: boolean; extraEnv?: Record<string, string>; deps?: ProgramDeps },
  ): Promise<Stack>;
  /** The directory whose package.json and node_modules program copies use (installed on first use), for `npm ls`. */
  programDeps(deps?: ProgramDeps): string;
  /** The stack's checkpoint as the file backend stores it (the Automation API's exportStack decrypts secrets). */
  rawState(projectName: string, stackName: string): string;
}

export const PASSPHRASE = "pulumi-kpack-tests";

/**
 * Inline programs run in this process, and each run's program dials the
 * engine's resource monitor on a fresh ephemeral port. grpc-js shares
 * subchannels process-wide by address, and a subchannel left from an earlier
 * run keeps retrying its dead port with backoff. When a later engine listens
 * on the same port, the new client gets that subchannel and fails at once with
 * "14 UNAVAILABLE: No connection established" (seen in about one full test
 * run in three). A subchannel pool per channel ends that. This changes only
 * this test process: users' programs run one per process.
 */
function isolateMonitorChannels(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const settings = require("@pulumi/pulumi/runtime/settings") as { grpcClientOptions?: Record<string, unknown> };
  if (settings.grpcClientOptions) settings.grpcClientOptions["grpc.use_local_subchannel_pool"] = 1;
}
isolateMonitorChannels();

/** A hard link where the file system allows one, else a copy: a binary the CLI must find beside itself, not through a symlink. */
function linkOrCopy(from: string, to: string): void {
  try {
    fs.linkSync(from, to);
  } catch {
    fs.copyFileSync(from, to);
    fs.chmodSync(to, 0o755);
  }
}

export async function pulumiEnv(baseDir: string, kubeconfigPath: string): Promise<PulumiEnv> {
  const cliBinary = ensureBinary(binaries.pulumi);
  const languageHost = ensureBinary(binaries.pulumiLanguageNodejs);
  const kubernetesPlugin = ensureBinary(binaries.pulumiKubernetes);
  const workDir = fs.mkdtempSync(path.join(baseDir ?? os.tmpdir(), "pulumi-"));
  const home = path.join(workDir, "home");
  const state = path.join(workDir, "state");
  fs.mkdirSync(home, { recursive: true });
  fs.mkdirSync(state, { recursive: true });
  // Laid out as the Pulumi installer lays out ~/.pulumi/bin: the CLI with its bundled plugins beside it
  // (the Node.js language host and pulumi-resource-pulumi-nodejs, the dynamic-provider launcher that
  // @pulumi/pulumi ships). The engine finds them next to its own executable and, that directory being
  // the one on PATH, says nothing, as on a user's machine.
  const cliDir = path.join(workDir, "cli");
  fs.mkdirSync(cliDir);
  const bin = path.join(cliDir, "pulumi");
  linkOrCopy(cliBinary, bin);
  linkOrCopy(languageHost, path.join(cliDir, "pulumi-language-nodejs"));
  linkOrCopy(
    path.join(repoRoot, "node_modules", "@pulumi", "pulumi", "pulumi-resource-pulumi-nodejs"),
    path.join(cliDir, "pulumi-resource-pulumi-nodejs"),
  );
  // node_modules/.bin holds the project's Node ≥22.
  const pathDirs = [cliDir, nodeBinDir, process.env.PATH ?? ""];
  // The Kubernetes plugin goes into the scratch PULUMI_HOME as `pulumi plugin install` puts a downloaded one,
  // under the version @pulumi/kubernetes asks for (the one the environment builds).
  // Not execFileSync: the copy takes a second or two, and a test's webhook relay shares this event loop.
  await promisify(execFile)(bin, ["plugin", "install", "resource", "kubernetes", versions.pulumiKubernetes, "--file", kubernetesPlugin], {
    env: { ...process.env, PATH: pathDirs.join(path.delimiter), PULUMI_HOME: home, PULUMI_SKIP_UPDATE_CHECK: "true" },
  });
  // Any other @pulumi/kubernetes (the compatibility run) asks for a plugin version the environment does
  // not build: there the same binary is found on PATH instead, which the engine takes for any version
  // (and warns about).
  const ambientKubernetes = (deps?: ProgramDeps): Record<string, string> =>
    deps && deps.kubernetes !== versions.pulumiKubernetes ? { PATH: [path.dirname(kubernetesPlugin), ...pathDirs].join(path.delimiter) } : {};
  const envVars: Record<string, string> = {
    PATH: pathDirs.join(path.delimiter),
    PULUMI_HOME: home,
    PULUMI_BACKEND_URL: `file://${state}`,
    PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    PULUMI_SKIP_CONFIRMATIONS: "true",
    KUBECONFIG: kubeconfigPath,
    // Safety net: a resource that decides to install kpack without a manifest
    // named by its test gets a refused loopback port, never the public release.
    PULUMI_KPACK_MANIFEST_URL: "http://127.0.0.1:1/release-{version}.yaml",
  };
  // PulumiCommand without root runs `pulumi` from this process's PATH.
  process.env.PATH = pathDirs.join(path.delimiter);
  const command = await PulumiCommand.get({ root: undefined, skipVersionCheck: true });
  const programDeps = new Map<string, string>();
  const depsDir = (deps?: ProgramDeps) => {
    const key = JSON.stringify(deps ?? null);
    let dir = programDeps.get(key);
    if (!dir) programDeps.set(key, (dir = installProgramDeps(workDir, deps)));
    return dir;
  };
  return {
    bin,
    workDir,
    envVars,
    rawState(projectName, stackName) {
      const dir = path.join(state, ".pulumi", "stacks", projectName);
      const file = fs.readdirSync(dir).find((f) => f === `${stackName}.json` || f === `${stackName}.json.gz`);
      if (!file) throw new Error(`no checkpoint for ${projectName}/${stackName} in ${dir}`);
      const raw = fs.readFileSync(path.join(dir, file));
      return file.endsWith(".gz") ? zlib.gunzipSync(raw).toString("utf8") : raw.toString("utf8");
    },
    async stack(projectName, stackName, program, extraEnv) {
      // The dynamic provider resolves require("pulumi-kpack/provider") from the
      // project directory: give it the repository's node_modules.
      const projectDir = path.join(workDir, "projects", projectName);
      fs.mkdirSync(projectDir, { recursive: true });
      if (!fs.existsSync(path.join(projectDir, "node_modules"))) {
        fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(projectDir, "node_modules"));
      }
      return LocalWorkspace.createOrSelectStack(
        { projectName, stackName, program },
        {
          workDir: projectDir,
          pulumiHome: home,
          pulumiCommand: command,
          envVars: { ...envVars, ...(extraEnv ?? {}) },
          secretsProvider: "passphrase",
          projectSettings: { name: projectName, runtime: "nodejs", backend: { url: `file://${state}` } },
        },
      );
    },
    programDeps: depsDir,
    async programStack(source, stackName, opts = {}) {
      let dir = source;
      if (!opts.inPlace) {
        const deps = depsDir(opts.deps);
        dir = path.join(workDir, "programs", `${path.basename(source)}-${stackName}`);
        fs.cpSync(source, dir, { recursive: true, filter: (f) => !/(^|\/)(node_modules|Pulumi\.[^/]+\.yaml)$/.test(f) });
        // As a user's program directory: its package.json beside the node_modules npm installed from it.
        fs.copyFileSync(path.join(deps, "package.json"), path.join(dir, "package.json"));
        fs.symlinkSync(path.join(deps, "node_modules"), path.join(dir, "node_modules"));
      }
      return LocalWorkspace.createOrSelectStack(
        { stackName, workDir: dir },
        {
          pulumiHome: home,
          pulumiCommand: command,
          envVars: { ...envVars, ...ambientKubernetes(opts.deps), ...(opts.extraEnv ?? {}) },
          secretsProvider: "passphrase",
        },
      );
    },
  };
}

/** Versions of @pulumi/pulumi and @pulumi/kubernetes a program directory's dependencies are installed at (npm specs: "3.216.0", "latest"). */
export interface ProgramDeps {
  pulumi: string;
  kubernetes: string;
}

/** The version of package `name` installed in `dir`/node_modules (by default the repository's, as its lock file installed it). */
export function installedVersion(name: string, dir = repoRoot): string {
  return (JSON.parse(fs.readFileSync(path.join(dir, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
}

/**
 * node_modules for program directories, as a user installs it: pulumi-kpack
 * from the tarball `npm pack` makes of this repository (dist/ must be built),
 * next to @pulumi/pulumi and @pulumi/kubernetes at the versions asked for
 * (by default the ones this repository's lock file installs), and the
 * typescript, ts-node and @types/node it installs. npm resolves pulumi-kpack's
 * own ranges against them, as in a user's program.
 */
function installProgramDeps(workDir: string, versions?: ProgramDeps): string {
  const label = versions ? `-${versions.pulumi}-${versions.kubernetes}` : "";
  const dir = path.join(workDir, `program-deps${label}`);
  fs.mkdirSync(dir, { recursive: true });
  const tarball = execFileSync("npm", ["pack", "--silent", "--pack-destination", dir, repoRoot], { encoding: "utf8" }).trim().split("\n").pop()!;
  const deps: Record<string, string> = {
    "pulumi-kpack": `file:./${tarball}`,
    "@pulumi/pulumi": versions?.pulumi ?? installedVersion("@pulumi/pulumi"),
    "@pulumi/kubernetes": versions?.kubernetes ?? installedVersion("@pulumi/kubernetes"),
  };
  for (const name of ["typescript", "ts-node", "@types/node"]) deps[name] = installedVersion(name);
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "pulumi-kpack-program", private: true, dependencies: deps }, null, 2));
  // --ignore-scripts: @pulumi/kubernetes's install script would download its plugin; the environment built it.
  execFileSync("npm", ["install", "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  return dir;
}
