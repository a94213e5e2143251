import type { Stack } from "@pulumi/pulumi/automation";
import { Cluster, startCluster } from "./control-plane";
import { KpackEnv, startKpack } from "./kpack-env";
import { handleInterrupt, installSignalHandlers, interrupt, stopAll, stopAtOnce } from "./processes";
import { pulumiEnv } from "./pulumi";
import { exampleStack } from "./examples";
import { BinaryKey, startPreparation } from "./prebuild";

/** What the demo starts, in the order it needs them: the control plane, then kpack, then Pulumi. */
const CLUSTER: BinaryKey[] = ["etcd", "kubeApiserver", "kubeControllerManager"];
const KPACK: BinaryKey[] = ["kpackController", "kpackWebhook", "registry", "imagetool", "lifecycle", "kpackBuildInit", "buildpacks", "busybox"];
const PULUMI: BinaryKey[] = ["pulumi", "pulumiLanguageNodejs", "pulumiKubernetes"];
/**
 * Build order on a new machine: the longest build (the Kubernetes plugin) on one
 * job from the start, the control plane's and kpack's on the other, so that
 * they start while the Pulumi binaries still build.
 */
const BUILD_ORDER = [
  "pulumi-kubernetes",
  "kubernetes",
  "etcd",
  "kpack",
  "registry",
  "lifecycle",
  "kpack-build",
  "imagetool",
  "buildpacks",
  "busybox-static",
];

/**
 * `npm start`: the local environment the tests use (control plane, kpack
 * controller, registries, build-pod runner), then `pulumi up` of the
 * examples/app-deployment program directory against it: kpack builds the app
 * and a Deployment runs the digest it built. Interactive: left running for
 * kubectl and pulumi until Ctrl-C. Otherwise (CI, no TTY): destroyed and stopped.
 *
 * Stopping, whatever asks for it:
 * - Ctrl-C or SIGTERM once the stack is up: `pulumi destroy` while the cluster
 *   still runs, then every process stops in order; exit 0. On the terminal the
 *   demo reads that Ctrl-C as a key (raw mode), so no SIGINT reaches npm or its
 *   shell either, and `npm start` itself exits 0.
 * - Ctrl-C during `pulumi up`: the terminal's SIGINT reaches pulumi too, which
 *   cancels the update; then the same destroy and stop; exit 130.
 * - Ctrl-C before the stack exists: there is nothing to destroy, so everything
 *   stops at once; exit 130.
 * - A second Ctrl-C (or SIGTERM) while stopping: everything stops at once and
 *   the demo says what that left undone.
 * The environment's processes run in sessions of their own, so the terminal's
 * Ctrl-C never reaches them: only the demo stops them.
 */
type Phase = "starting" | "up" | "ready" | "stopping";

let phase: Phase = "starting";
let interruptedBy: "SIGINT" | "SIGTERM" | undefined;
let interruptedIn: Phase | undefined;
let wake: () => void = () => undefined;
const interrupted = new Promise<void>((resolve) => (wake = resolve));
const cancelUp = new AbortController();

function whatIsLeft(): string {
  if (phase === "starting") return "Nothing had been deployed yet.";
  return "The stack was not destroyed, but everything it made was in the local cluster, which is gone now.";
}

handleInterrupt({
  first(signal) {
    interruptedBy = signal;
    interruptedIn = phase;
    wake();
    switch (phase) {
      case "starting":
        return stopAtOnce(signal, whatIsLeft());
      case "up":
        console.log(
          `\n${signal === "SIGINT" ? "Ctrl-C" : signal}: pulumi cancels the update; then the stack is destroyed and everything stops (Ctrl-C again stops everything at once).`,
        );
        // The terminal's Ctrl-C reached pulumi itself (it is in the terminal's
        // foreground process group); a second SIGINT would make it quit at once.
        if (signal !== "SIGINT") cancelUp.abort();
        return;
      case "ready":
        console.log(
          `\n${signal === "SIGINT" ? "Ctrl-C" : signal}: destroying the stack, then stopping everything (Ctrl-C again stops everything at once).`,
        );
        return;
      case "stopping":
        console.log(`\n${signal === "SIGINT" ? "Ctrl-C" : signal}: already stopping (Ctrl-C again stops everything at once).`);
        return;
    }
  },
  whatIsLeft,
});
installSignalHandlers();

/** Ctrl-C read from the terminal as a key: raw mode, so the terminal sends no SIGINT to anyone. Returns a function that undoes it. */
function readCtrlC(): () => void {
  const stdin = process.stdin;
  stdin.setRawMode(true);
  const onData = (b: Buffer) => {
    if (b.includes(0x03)) interrupt("SIGINT");
  };
  stdin.on("data", onData);
  stdin.resume();
  return () => {
    stdin.off("data", onData);
    stdin.setRawMode(false);
    stdin.pause();
  };
}

async function main(): Promise<number> {
  const t0 = Date.now();
  const interactive = Boolean(process.stdin.isTTY) && !process.env.CI;
  // Only what the demo runs: kpack's previous release (the upgrade test) and kubectl (tests, bench) are built by `npm test`.
  const prep = startPreparation({ label: "npm start", skip: (_, key) => ![...CLUSTER, ...KPACK, ...PULUMI].includes(key), order: BUILD_ORDER });
  const since = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
  await prep.ready(CLUSTER);
  const cluster: Cluster = await startCluster();
  prep.note(`control plane ${cluster.server} ready at ${since()}`);
  await prep.ready(KPACK);
  const kp: KpackEnv = await startKpack(cluster);
  prep.note(`kpack ready at ${since()}`);
  await prep.ready(PULUMI);
  await prep.all;
  console.log(`Local Kubernetes ${cluster.server} with kpack ready in ${since()}`);
  const pulumi = await pulumiEnv(cluster.workDir, cluster.kubeconfigPath);
  // No kubelet runs the app's pods here: the Deployment is not awaited.
  const stack: Stack = await exampleStack(cluster, kp, pulumi, "app-deployment", "local", { skipRolloutWait: "true" });
  const onOutput = (s: string) => process.stdout.write(s);
  let failure: Error | undefined;
  phase = "up";
  try {
    const up = await stack.up({ onOutput, signal: cancelUp.signal });
    if (!interruptedBy) {
      console.log(`\nImage built by kpack: ${String(up.outputs.image.value)} (build ${String(up.outputs.buildCounter.value)})`);
      console.log(`Deployment ${String(up.outputs.deploymentName.value)} runs: ${String(up.outputs.deploymentImage.value)}`);
      console.log(`  program: ${stack.workspace.workDir}`);
      console.log(`  export KUBECONFIG=${cluster.kubeconfigPath}`);
      console.log(
        `  pulumi: PULUMI_HOME=${pulumi.envVars.PULUMI_HOME} PULUMI_BACKEND_URL=${pulumi.envVars.PULUMI_BACKEND_URL} PULUMI_CONFIG_PASSPHRASE=${pulumi.envVars.PULUMI_CONFIG_PASSPHRASE}`,
      );
      console.log(`  logs: ${cluster.workDir}`);
    }
  } catch (e) {
    // Cancelled by a Ctrl-C: pulumi said so above. Anything else fails the demo, after the same cleanup.
    if (!interruptedBy) failure = e as Error;
  }
  let release = () => undefined as void;
  if (!interruptedBy && !failure && interactive) {
    phase = "ready";
    release = readCtrlC();
    console.log("Ctrl-C destroys the stack and stops everything.");
    await interrupted;
  }
  phase = "stopping";
  try {
    await stack.destroy({ onOutput });
  } catch (e) {
    failure ??= e as Error;
  }
  await kp.stop();
  await cluster.stop();
  await stopAll();
  release();
  if (failure) {
    console.error(failure.message);
    console.error("Stopped local Kubernetes, kpack and the registries.");
    return 1;
  }
  console.log("Stack destroyed; local Kubernetes, kpack and the registries stopped.");
  // Interrupted before the stack was up: the conventional status of an interrupted command.
  return interruptedIn === "up" ? (interruptedBy === "SIGTERM" ? 143 : 130) : 0;
}

main().then(
  (code) => process.exit(code),
  async (e) => {
    // A Ctrl-C also ends the commands a startup step runs (openssl, npm): let its handler speak instead of their errors.
    await new Promise((r) => setTimeout(r, 200));
    console.error((e as Error).message);
    await stopAll();
    process.exit(1);
  },
);
