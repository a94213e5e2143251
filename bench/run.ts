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
/** With BENCH_HEAP_SNAPSHOT_MB, the provider writes one heap snapshot into BENCH_HEAP_DIR once its RSS passes that many MB (perturbs timing: not for the timed runs). */
const SNAPSHOT_AT_MB = Number(process.env.BENCH_HEAP_SNAPSHOT_MB ?? 0) || undefined;
const HEAP_DIR = process.env.BENCH_HEAP_DIR ?? path.join(os.tmpdir(), "pulumi-kpack-heap");
/** BENCH_CPU_PROFILE=1: every node process the CLI starts writes a CPU profile into BENCH_HEAP_DIR when it exits (bench/profile.ts reads it). */
const CPU_PROFILE = process.env.BENCH_CPU_PROFILE === "1";
/** BENCH_SIDES=pulumi runs pulumi-kpack's side only (for a heap snapshot run). */
const SIDES = (process.env.BENCH_SIDES ?? "kubectl,pulumi").split(",");
const PROVIDER_USER = "bench-pulumi-kpack";
const KUBECTL_USER = "bench-kubectl";

const secs = (t0: number) => (Date.now() - t0) / 1000;
const log = (m: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

async function main(): Promise<void> {
  const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-kpack-bench-"));
  scratchDir(baseDir);
  const kubectl = ensureBinary(binaries.kubectl);
  if (SNAPSHOT_AT_MB || CPU_PROFILE) {
    fs.mkdirSync(HEAP_DIR, { recursive: true });
    // Inherited by the CLI and so by the provider (and the program) it starts; only the provider is signalled.
    const flags = [
      ...(SNAPSHOT_AT_MB ? ["--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${HEAP_DIR}`] : []),
      ...(CPU_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${HEAP_DIR}`] : []),
    ];
    process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} ${flags.join(" ")}`.trim();
  }
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
        `N=${s.n} run ${s.run} ${s.op}: ${s.seconds.toFixed(1)}s${s.requests ? ` requests ${JSON.stringify(s.requests.byVerb)}` : ""}${s.rssMb ? ` rss ${s.rssMb.toFixed(0)}MB` : ""}${s.images ? ` digests served ${s.images.served}/${s.images.expected}` : ""}${s.cpu ? ` cpu ${JSON.stringify(s.cpu)}` : ""}`,
      );
      writeResults(samples, {
        runs: RUNS,
        ns: Ns,
        parallel: PARALLEL,
        defaultParallelMaxN: DEFAULT_PARALLEL_UP_MAX_N,
        machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
      });
    };
    const timed = async (
      n: number,
      run: number,
      op: Sample["op"],
      user: string | undefined,
      f: () => Promise<unknown>,
      check?: () => Promise<Sample["images"]>,
    ): Promise<void> => {
      const mark = auditMark(audit);
      const sampler = processCost({ snapshotAtMb: SNAPSHOT_AT_MB });
      const t0 = Date.now();
      await f();
      const seconds = secs(t0);
      const { rssMb, cpu, rssBeforeSnapshotMb } = sampler.stop();
      // The audit log's batch of the last requests lands a moment after their response.
      await new Promise((r) => setTimeout(r, 1500));
      const requests: RequestSummary | undefined = user ? requestsSince(audit, mark, user) : undefined;
      const images = await check?.();
      record({ n, run, op, seconds, requests, rssMb, cpu, images, rssBeforeSnapshotMb });
    };
    /** Every Image built and its digest served by the registry: none lost. */
    const checkDigests = async (n: number, refs: string[]): Promise<Sample["images"]> => {
      let served = 0;
      for (const ref of refs) if (await manifestServed(ref)) served++;
      if (refs.length !== n || served !== n) log(`N=${n}: ${refs.length} digests of ${n} Images, ${served} served by the registry`);
      return { expected: n, digests: refs.length, served };
    };
    /**
     * Waits until the builds, build pods and cache volumes a side deleted are gone (kube-controller-manager's
     * garbage collector and PV controller remove them after their Image), so the next side never runs beside them.
     */
    const settle = async (n: number, run: number, side: string): Promise<void> => {
      const t0 = Date.now();
      for (;;) {
        // Build pods only: the kpack Deployments' own pods exist too, never scheduled.
        // And the volumes of the Images' caches: kube-controller-manager's PV controller deletes them one by one,
        // and while it does, it binds the next side's claims (each build waits for its cache volume) behind them.
        const [objects, pods, volumes] = await Promise.all([
          admin(["get", "builds.kpack.io,sourceresolvers.kpack.io,persistentvolumeclaims", "-A", "-o", "name"]),
          admin(["get", "pods", "-A", "-l", "kpack.io/build", "-o", "name"]),
          admin(["get", "persistentvolumes", "-o", "jsonpath={range .items[*]}{.spec.claimRef.namespace}{'\\n'}{end}"]),
        ]);
        const left =
          (objects.stdout + pods.stdout).split("\n").filter(Boolean).length +
          volumes.stdout.split("\n").filter((ns) => ns.startsWith("bench-")).length;
        if (!left) break;
        if (Date.now() - t0 > 600_000)
          throw new Error(`N=${n} run ${run}: ${left} builds, pods and volumes still there 10 minutes after ${side}'s delete`);
        await new Promise((r) => setTimeout(r, 500));
      }
      record({ n, run, op: "wait for GC", seconds: secs(t0), side });
    };

    const emptyList = path.join(baseDir, "empty-list.yaml");
    fs.writeFileSync(emptyList, "apiVersion: v1\nkind: List\nitems: []\n");
    /** A kubectl command over the empty list: its process start, client config and discovery, and nothing else. */
    const noop = (verb: string[]) =>
      k([...verb, "-f", emptyList]).catch((e: { stderr?: string }) => {
        // kubectl refuses to act on no objects, after it has read its config and discovered the API: that is the fixed cost.
        if (!/no objects passed|no matching resources found/.test(e.stderr ?? "")) throw e;
      });

    for (const [ni, n] of Ns.entries()) {
      for (let run = 1; run <= RUNS; run++) {
        const suffix = crypto.randomBytes(3).toString("hex");
        const kns = `bench-k-${suffix}`;
        const pns = `bench-p-${suffix}`;
        await admin(["create", "namespace", kns]);
        await admin(["create", "namespace", pns]);

        // kubectl: the same objects, as YAML, in a namespace of their own.
        const kubectlSide = async () => {
          const cfg: BenchConfig = {
            stackId: source.stackId,
            buildImage: source.buildImage,
            runImage: source.runImage,
            buildpackage: source.buildpackage,
            buildpackId: source.buildpackId,
            sourceUrl: source.sourceUrl,
            namespace: kns,
            count: n,
            suffix: `k${suffix}`,
            registry: `${kp!.registry.host}/bench-k-${suffix}`,
          };
          const file = path.join(baseDir, `kubectl-${n}-${run}.yaml`);
          fs.writeFileSync(file, benchYaml(cfg));
          // `kubectl wait -f` over the kpack objects only: the ServiceAccount and RBAC have no Ready condition.
          const waitFile = path.join(baseDir, `kubectl-${n}-${run}-wait.yaml`);
          fs.writeFileSync(waitFile, toYaml(benchObjects(cfg).filter((o) => o.apiVersion?.startsWith("kpack.io/"))));
          await timed(
            n,
            run,
            "kubectl apply+wait",
            KUBECTL_USER,
            async () => {
              await k(["apply", "-f", file]);
              await k(["wait", "--for=condition=Ready", "--timeout=3600s", "-f", waitFile]);
            },
            async () => {
              const { stdout } = await admin(["get", "images.kpack.io", "-n", kns, "-o", "jsonpath={.items[*].status.latestImage}"]);
              return checkDigests(n, stdout.split(/\s+/).filter(Boolean));
            },
          );
          await timed(n, run, "kubectl delete --wait", KUBECTL_USER, () => k(["delete", "--wait", "-f", file]));
          await settle(n, run, "kubectl");
        };

        // pulumi-kpack: the bench program through the real CLI.
        const pulumiSide = async () => {
          const stack = await pulumi.programStack(exampleDir("many-images"), `n${n}-${suffix}`);
          await configure(stack, {
            ...source,
            namespace: pns,
            builderNamespace: pns,
            count: String(n),
            registry: `${kp!.registry.host}/bench-p-${suffix}`,
          });
          await timed(
            n,
            run,
            "pulumi up",
            PROVIDER_USER,
            () => stack.up({ onEvent: timeline(), parallel: PARALLEL }),
            async () => checkDigests(n, ((await stack.outputs()).latestImages?.value as string[] | undefined) ?? []),
          );
          await timed(n, run, "no-change preview", PROVIDER_USER, () => stack.preview());
          await timed(n, run, "no-change up", PROVIDER_USER, () => stack.up({ parallel: PARALLEL }));
          await timed(n, run, "pulumi destroy", PROVIDER_USER, () => stack.destroy({ onEvent: timeline(), parallel: PARALLEL }));
          await stack.workspace.removeStack(stack.name);
          await settle(n, run, "pulumi");
          if (run === 1 && n > 1 && n <= DEFAULT_PARALLEL_UP_MAX_N) {
            // Once per N: `pulumi up` as the CLI runs it by default, at most 4 × cores resource operations at once.
            const dflt = await pulumi.programStack(exampleDir("many-images"), `default-${n}-${suffix}`);
            await configure(dflt, {
              ...source,
              namespace: pns,
              builderNamespace: pns,
              count: String(n),
              registry: `${kp!.registry.host}/bench-d-${suffix}`,
            });
            await timed(n, run, "pulumi up, default --parallel", PROVIDER_USER, () => dflt.up({ onEvent: timeline() }));
            await dflt.destroy({ parallel: PARALLEL });
            await dflt.workspace.removeStack(dflt.name);
            await settle(n, run, "pulumi");
          }
        };

        // Which side goes first alternates by run and by N, so neither always finds the caches the other warmed.
        const kubectlFirst = (run + ni) % 2 === 1;
        log(`N=${n} run ${run}: ${kubectlFirst ? "kubectl" : "pulumi"} first`);
        const order = kubectlFirst ? ["kubectl", "pulumi"] : ["pulumi", "kubectl"];
        for (const side of order.filter((x) => SIDES.includes(x))) await (side === "kubectl" ? kubectlSide : pulumiSide)();

        // Each side's fixed cost: an empty program for pulumi, kubectl over an empty list.
        const empty = await pulumi.programStack(path.join(repoRoot, "bench", "empty-program"), `empty-${n}-${suffix}`);
        await timed(n, run, "empty program up", undefined, () => empty.up());
        await timed(n, run, "empty program destroy", undefined, () => empty.destroy());
        await empty.workspace.removeStack(empty.name);
        const sdk = await pulumi.programStack(path.join(repoRoot, "bench", "sdk-program"), `sdk-${n}-${suffix}`);
        await timed(n, run, "SDK-only program up", undefined, () => sdk.up());
        await timed(n, run, "SDK-only program destroy", undefined, () => sdk.destroy());
        await sdk.workspace.removeStack(sdk.name);
        await timed(n, run, "kubectl no-op apply+wait", undefined, async () => {
          await noop(["apply"]);
          await noop(["wait", "--for=condition=Ready"]);
        });
        await timed(n, run, "kubectl no-op delete", undefined, () => noop(["delete", "--wait"]));
        await admin(["delete", "namespace", kns, pns, "--wait=false"]);
      }
    }
    log(`results in ${process.env.BENCH_RESULTS ?? path.join(repoRoot, "bench", "results")}`);
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

/** Whether the registry serves the manifest `host/repo@sha256:…` names (the registry is the environment's, on loopback). */
async function manifestServed(ref: string): Promise<boolean> {
  const m = /^([^/]+)\/(.+)@(sha256:[0-9a-f]{64})$/.exec(ref);
  if (!m) return false;
  const res = await fetch(`http://${m[1]}/v2/${m[2]}/manifests/${m[3]}`, {
    method: "HEAD",
    headers: {
      accept:
        "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json",
    },
  });
  return res.ok;
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
