import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { LocalWorkspace, PulumiCommand, PulumiFn, Stack } from "@pulumi/pulumi/automation";
import { binaries, ensureBinary } from "./binaries";
import { nodeBinDir, repoRoot } from "./paths";

/**
 * A real Pulumi CLI, fully offline: file backend and PULUMI_HOME in a scratch
 * directory, passphrase secrets, no update check, no plugin download. Programs
 * run inline through the Automation API (the CLI talks to a language runtime
 * inside the test process); the dynamic provider runs in its own process
 * started by the CLI, from the project's node_modules.
 */
export interface PulumiEnv {
  bin: string;
  workDir: string;
  envVars: Record<string, string>;
  stack(projectName: string, stackName: string, program: PulumiFn, extraEnv?: Record<string, string>): Promise<Stack>;
  /** The stack's checkpoint as the file backend stores it (the Automation API's exportStack decrypts secrets). */
  rawState(projectName: string, stackName: string): string;
}

export const PASSPHRASE = "pulumi-kpack-tests";

export async function pulumiEnv(baseDir: string, kubeconfigPath: string): Promise<PulumiEnv> {
  const bin = ensureBinary(binaries.pulumi);
  const workDir = fs.mkdtempSync(path.join(baseDir ?? os.tmpdir(), "pulumi-"));
  const home = path.join(workDir, "home");
  const state = path.join(workDir, "state");
  fs.mkdirSync(home, { recursive: true });
  fs.mkdirSync(state, { recursive: true });
  // pulumi-resource-pulumi-nodejs (the dynamic-provider launcher) ships in the
  // @pulumi/pulumi package; node_modules/.bin holds the project's Node ≥22.
  const pathDirs = [path.dirname(bin), path.join(repoRoot, "node_modules", "@pulumi", "pulumi"), nodeBinDir, process.env.PATH ?? ""];
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
  };
}
