import { startCluster } from "./control-plane";
import { startKpack } from "./kpack-env";
import { handleInterrupt, stopAll } from "./processes";
import { pulumiEnv } from "./pulumi";
import { exampleStack } from "./examples";

/**
 * `npm start`: the local environment the tests use (control plane, kpack
 * controller, registries, build-pod stand-in), then `pulumi up` of the
 * examples/app-deployment program directory against it: kpack builds the app
 * and a Deployment runs the digest it built. Interactive: left running for
 * kubectl and pulumi until Ctrl-C. Otherwise (CI, no TTY): destroyed and stopped.
 */
async function main(): Promise<void> {
  const t0 = Date.now();
  const cluster = await startCluster();
  const kp = await startKpack(cluster);
  console.log(`Local Kubernetes ${cluster.server} with kpack ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  const pulumi = await pulumiEnv(cluster.workDir, cluster.kubeconfigPath);
  // No kubelet runs the app's pods here: the Deployment is not awaited.
  const stack = await exampleStack(cluster, kp, pulumi, "app-deployment", "local", { skipRolloutWait: "true" });
  const up = await stack.up({ onOutput: (s) => process.stdout.write(s) });
  console.log(`\nImage built by kpack: ${String(up.outputs.image.value)} (build ${String(up.outputs.buildCounter.value)})`);
  console.log(`Deployment ${String(up.outputs.deploymentName.value)} runs: ${String(up.outputs.deploymentImage.value)}`);
  console.log(`  program: ${stack.workspace.workDir}`);
  console.log(`  export KUBECONFIG=${cluster.kubeconfigPath}`);
  console.log(`  pulumi: PULUMI_HOME=${pulumi.envVars.PULUMI_HOME} PULUMI_BACKEND_URL=${pulumi.envVars.PULUMI_BACKEND_URL} PULUMI_CONFIG_PASSPHRASE=${pulumi.envVars.PULUMI_CONFIG_PASSPHRASE}`);
  console.log(`  logs: ${cluster.workDir}`);
  if (process.stdin.isTTY && !process.env.CI) {
    console.log("Ctrl-C destroys the stack and stops everything.");
    await new Promise<void>((resolve) => handleInterrupt(resolve));
  }
  await stack.destroy();
  await kp.stop();
  await cluster.stop();
  await stopAll();
}

main().catch(async (e) => {
  console.error((e as Error).message);
  await stopAll();
  process.exit(1);
});
