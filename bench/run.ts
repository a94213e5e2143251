import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as crypto from "node:crypto";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { binaries, ensureBinary } from "../devenv/binaries";
import { startCluster } from "../devenv/control-plane";
import { exampleConfig, exampleDir } from "../devenv/examples";
import { KpackEnv, startKpack } from "../devenv/kpack-env";
import { repoRoot } from "../devenv/paths";
import { scratchDir, stopAll } from "../devenv/processes";
import { pulumiEnv } from "../devenv/pulumi";
import { BenchConfig, benchObjects, benchYaml } from "./manifests";
import { auditMark, processCost, requestsSince, RequestSummary } from "./measure";
import { writeResults, type Sample } from "./report";
import { toYaml } from "../devenv/kpack-manifest";

/**
 * `npm run bench`: kubectl and pulumi-kpack side by side on the local
 * environment the tests use (control plane, real kpack, the build pods'
 * runner at its fastest), for N Images sharing one ClusterBuilder. Per N and
 * run: kubectl apply + wait Ready, kubectl delete --wait, pulumi up, a
 * no-change preview and up, pulumi destroy, and an empty program's up. The
 * provider and kubectl run as users of their own, so the apiserver's audit
 * log tells their requests apart from the controllers'.
 *
 * BENCH_N (default 1,10,50,200) and BENCH_RUNS (default 3) choose the sizes and repeats.
 */
const execFileP = promisify(execFile);
const Ns = (process.env.BENCH_N ?? "1,10,50,200")
  .split(",")
  .map(Number)
  .filter((n) => n > 0);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** `pulumi up --parallel`: the CLI's default is 4 × cores (8 here), far fewer than the Images kpack builds at once. */
const PARALLEL = Number(process.env.BENCH_PARALLEL ?? 256);
/** Up to which N the bench also times one `pulumi up` at the CLI's default parallelism. */
const DEFAULT_PARALLEL_UP_MAX_N = Number(process.env.BENCH_DEFAULT_PARALLEL_MAX_N ?? 50);
const PROVIDER_USER = "bench-pulumi-kpack";
const KUBECTL_USER = "bench-kubectl";

const secs = (t0: number) => (Date.now() - t0) / 1000;
const log = (m: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

async function main(): Promise<void> {
  const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-kpack-bench-"));
  scratchDir(baseDir);
  const kubectl = ensureBinary(binaries.kubectl);
  const cluster = await startCluster({ baseDir, auditUsers: [PROVIDER_USER, KUBECTL_USER] });
  const audit = cluster.auditLogPath!;
  let kp: KpackEnv | undefined;
  try {
    kp = await startKpack(cluster);
    const providerKubeconfig = path.join(baseDir, "provider.kubeconfig");
    const kubectlKubeconfig = path.join(baseDir, "kubectl.kubeconfig");
    fs.writeFileSync(providerKubeconfig, cluster.userKubeconfig(PROVIDER_USER, ["system:masters"]), { mode: 0o600 });
    fs.writeFileSync(kubectlKubeconfig, cluster.userKubeconfig(KUBECTL_USER, ["system:masters"]), { mode: 0o600 });
    const pulumi = await pulumiEnv(baseDir, providerKubeconfig);
    const k = (args: string[], kubeconfig = kubectlKubeconfig) =>
      execFileP(kubectl, [`--kubeconfig=${kubeconfig}`, ...args], { maxBuffer: 64 << 20 });
    const admin = (args: string[]) => k(args, cluster.kubeconfigPath);
    const source = await exampleConfig(cluster, kp, `${kp.registry.host}/bench`, "bench");
    const samples: Sample[] = [];
    const record = (s: Sample) => {
      samples.push(s);
      log(
        `N=${s.n} run ${s.run} ${s.op}: ${s.seconds.toFixed(1)}s${s.requests ? ` requests ${JSON.stringify(s.requests.byVerb)}` : ""}${s.rssMb ? ` rss ${s.rssMb.toFixed(0)}MB` : ""} cpu ${JSON.stringify(s.cpu)}`,
      );
      writeResults(samples, { runs: RUNS, ns: Ns, machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB` });
    };
    const timed = async (n: number, run: number, op: Sample["op"], user: string | undefined, f: () => Promise<unknown>): Promise<void> => {
      const mark = auditMark(audit);
      const sampler = processCost();
      const t0 = Date.now();
      await f();
      const seconds = secs(t0);
      const { rssMb, cpu } = sampler.stop();
      // The audit log's batch of the last requests lands a moment after their response.
      await new Promise((r) => setTimeout(r, 1500));
      const requests: RequestSummary | undefined = user ? requestsSince(audit, mark, user) : undefined;
      record({ n, run, op, seconds, requests, rssMb, cpu });
    };

    for (const n of Ns) {
      for (let run = 1; run <= RUNS; run++) {
        const suffix = crypto.randomBytes(3).toString("hex");
        // kubectl: the same objects, as YAML, in a namespace of their own.
        const kns = `bench-k-${suffix}`;
        await admin(["create", "namespace", kns]);
        const cfg: BenchConfig = {
          stackId: source.stackId,
          buildImage: source.buildImage,
          runImage: source.runImage,
          buildpackage: source.buildpackage,
          buildpackId: source.buildpackId,
          sourceUrl: source.sourceUrl,
          namespace: kns,
          count: n,
          suffix,
          registry: `${kp.registry.host}/bench-k-${suffix}`,
        };
        const file = path.join(baseDir, `kubectl-${n}-${run}.yaml`);
        fs.writeFileSync(file, benchYaml(cfg));
        // `kubectl wait -f` over the kpack objects only: the ServiceAccount and RBAC have no Ready condition.
        const waitFile = path.join(baseDir, `kubectl-${n}-${run}-wait.yaml`);
        fs.writeFileSync(waitFile, toYaml(benchObjects(cfg).filter((o) => o.apiVersion?.startsWith("kpack.io/"))));
        await timed(n, run, "kubectl apply+wait", KUBECTL_USER, async () => {
          await k(["apply", "-f", file]);
          await k(["wait", "--for=condition=Ready", "--timeout=3600s", "-f", waitFile]);
        });
        await timed(n, run, "kubectl delete --wait", KUBECTL_USER, () => k(["delete", "--wait", "-f", file]));

        // pulumi-kpack: the bench program through the real CLI.
        const pns = `bench-p-${suffix}`;
        await admin(["create", "namespace", pns]);
        const stack = await pulumi.programStack(exampleDir("many-images"), `n${n}-${suffix}`);
        await configure(stack, {
          ...source,
          namespace: pns,
          builderNamespace: pns,
          count: String(n),
          registry: `${kp.registry.host}/bench-p-${suffix}`,
        });
        await timed(n, run, "pulumi up", PROVIDER_USER, () => stack.up({ onEvent: timeline(), parallel: PARALLEL }));
        await timed(n, run, "no-change preview", PROVIDER_USER, () => stack.preview());
        await timed(n, run, "no-change up", PROVIDER_USER, () => stack.up({ parallel: PARALLEL }));
        await timed(n, run, "pulumi destroy", PROVIDER_USER, () => stack.destroy({ onEvent: timeline(), parallel: PARALLEL }));
        await stack.workspace.removeStack(stack.name);
        if (run === 1 && n > 1 && n <= DEFAULT_PARALLEL_UP_MAX_N) {
          // Once per N: `pulumi up` as the CLI runs it by default, at most 4 × cores resource operations at once.
          const dflt = await pulumi.programStack(exampleDir("many-images"), `default-${n}-${suffix}`);
          await configure(dflt, {
            ...source,
            namespace: pns,
            builderNamespace: pns,
            count: String(n),
            registry: `${kp.registry.host}/bench-d-${suffix}`,
          });
          await timed(n, run, "pulumi up, default --parallel", PROVIDER_USER, () => dflt.up({ onEvent: timeline() }));
          await dflt.destroy({ parallel: PARALLEL });
          await dflt.workspace.removeStack(dflt.name);
        }

        const empty = await pulumi.programStack(path.join(repoRoot, "bench", "empty-program"), `empty-${n}-${suffix}`);
        await timed(n, run, "empty program up", undefined, () => empty.up());
        await timed(n, run, "empty program destroy", undefined, () => empty.destroy());
        await empty.workspace.removeStack(empty.name);
        await admin(["delete", "namespace", kns, pns, "--wait=false"]);
      }
    }
    log(`results in ${path.join(repoRoot, "bench", "results")}`);
  } finally {
    await kp?.stop().catch(() => undefined);
    await cluster.stop().catch(() => undefined);
    await stopAll();
    if (!process.env.PULUMI_KPACK_KEEP_ENV) fs.rmSync(baseDir, { recursive: true, force: true });
  }
}

/**
 * With BENCH_TRACE=1, when each resource's step started and ended (seconds
 * into the command), logged when the command ends: where an up spends its time.
 */
function timeline(): ((e: EngineEvent) => void) | undefined {
  if (!process.env.BENCH_TRACE) return undefined;
  const t0 = Date.now();
  const lines: string[] = [];
  return (e) => {
    const at = ((Date.now() - t0) / 1000).toFixed(1);
    if (e.resourcePreEvent) lines.push(`${at} start ${e.resourcePreEvent.metadata.urn.split("::").pop()}`);
    if (e.resOutputsEvent) lines.push(`${at} done ${e.resOutputsEvent.metadata.urn.split("::").pop()}`);
    if (e.summaryEvent) log(`timeline:\n  ${lines.join("\n  ")}`);
  };
}

async function configure(stack: Stack, config: Record<string, string>): Promise<void> {
  await stack.setAllConfig(Object.fromEntries(Object.entries(config).map(([key, v]) => [key, { value: v }])));
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench failed: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  },
);
