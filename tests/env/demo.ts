import { startCluster } from "./controlplane";
import { stopAll } from "./processes";

/**
 * `npm start`: the same local environment the tests use, left running for
 * trying things by hand (kubectl, pulumi) until Ctrl-C.
 */
async function main(): Promise<void> {
  const t0 = Date.now();
  const cluster = await startCluster();
  console.log(`Local control plane ready in ${((Date.now() - t0) / 1000).toFixed(1)}s at ${cluster.server}`);
  console.log(`  export KUBECONFIG=${cluster.kubeconfigPath}`);
  console.log(`  logs and certificates: ${cluster.workDir}`);
  console.log("Ctrl-C stops everything.");
  if (process.env.CI || !process.stdin.isTTY) {
    // Non-interactive: show it works, then stop (no process is left behind).
    await cluster.stop();
    await stopAll();
    return;
  }
  await new Promise<void>((resolve) => process.once("SIGINT", resolve));
  await cluster.stop();
}

main().catch(async (e) => {
  console.error((e as Error).message);
  await stopAll();
  process.exit(1);
});
