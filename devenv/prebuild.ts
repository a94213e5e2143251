import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BinarySpec, binaries, buildBinary, locate } from "./binaries";
import { cacheRoot } from "./paths";

/**
 * `npm test` and `npm start` run this first: every binary the environment
 * starts is found or built (once per machine) here, outside any test hook. On a
 * new machine the builds take tens of minutes, so they run a few at a time (one
 * build's module downloads overlap another's compile) under one progress line.
 */

/**
 * Seconds each build took on the 2-core reference machine from empty Go and
 * binary caches, one at a time (README, "First run on a new machine"). They
 * order the builds (longest first) and give the estimate of what is left.
 */
export const publishedSeconds: Record<string, number> = {
  "pulumi-kubernetes": 716,
  kubernetes: 510,
  pulumi: 451,
  "kpack-v0.17.2": 444,
  "kpack-v0.17.1": 345,
  etcd: 101,
  kubectl: 50,
  registry: 49,
  "pulumi-language-nodejs": 47,
  lifecycle: 44,
  "kpack-build": 29,
};

function published(cacheDir: string): number {
  if (cacheDir in publishedSeconds) return publishedSeconds[cacheDir];
  const base = cacheDir.replace(/-v?[0-9a-f.]+$/, "");
  return publishedSeconds[base] ?? 10;
}

/** One build step: the specs that share a cache entry are built by one script run. */
interface Step {
  cacheDir: string;
  specs: [string, BinarySpec][];
  seconds: number;
  started?: number;
  done?: number;
}

function fmt(s: number): string {
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.round(s % 60)).padStart(2, "0")}`;
}

/**
 * Finds or builds every binary, `jobs` builds at a time, printing one progress
 * line per event (and a heartbeat each minute): done/total, elapsed, what
 * builds, and what is left by the published step times.
 */
export async function prepareBinaries(
  opts: { jobs?: number; skip?: (spec: BinarySpec) => boolean; label?: string } = {},
): Promise<Record<string, string>> {
  const jobs = Math.max(1, opts.jobs ?? (Number(process.env.PULUMI_KPACK_BUILD_JOBS) || 2));
  const label = opts.label ?? "preparing the environment";
  const paths: Record<string, string> = {};
  const byDir = new Map<string, Step>();
  for (const [key, spec] of Object.entries(binaries) as [string, BinarySpec][]) {
    if (opts.skip?.(spec)) continue;
    const found = locate(spec);
    if (found) {
      paths[key] = found.path;
      continue;
    }
    const step = byDir.get(spec.cacheDir) ?? { cacheDir: spec.cacheDir, specs: [], seconds: published(spec.cacheDir) };
    step.specs.push([key, spec]);
    byDir.set(spec.cacheDir, step);
  }
  const steps = [...byDir.values()].sort((a, b) => b.seconds - a.seconds);
  if (steps.length === 0) return paths;
  const t0 = Date.now();
  const logDir = path.join(cacheRoot(), "logs");
  fs.mkdirSync(logDir, { recursive: true });
  const tty = process.stderr.isTTY === true;
  const status = (event?: string): void => {
    const now = Date.now();
    const done = steps.filter((s) => s.done).length;
    const running = steps.filter((s) => s.started && !s.done);
    // Left: the published time of what has not started, and of what runs minus what it has run,
    // shared by the jobs that run at once (at most the number of cores: builds are CPU-bound).
    const serialLeft =
      steps.filter((s) => !s.started).reduce((a, s) => a + s.seconds, 0) +
      running.reduce((a, s) => a + Math.max(s.seconds * 0.1, s.seconds - (now - s.started!) / 1000), 0);
    const left = serialLeft / Math.min(jobs, Math.max(1, os.cpus().length / 2 + 0.5));
    const line =
      `[${label}] ${done}/${steps.length} built, ${fmt((now - t0) / 1000)} elapsed` +
      (running.length ? `, building ${running.map((s) => s.cacheDir).join(", ")}` : "") +
      (done < steps.length ? `, about ${Math.max(1, Math.round(left / 60))} min left` : "");
    if (tty) process.stderr.write(`\r\x1b[K${line}${event ? `\n  ${event}\n` : ""}`);
    else process.stderr.write(`${line}${event ? `\n  ${event}` : ""}\n`);
  };
  process.stderr.write(`[${label}] ${steps.length} builds from the Go module proxy, ${jobs} at a time (once per machine; logs in ${logDir})\n`);
  const heartbeat = setInterval(() => status(), tty ? 1000 : 60_000);
  const queue = [...steps];
  const worker = async (): Promise<void> => {
    for (let step = queue.shift(); step; step = queue.shift()) {
      step.started = Date.now();
      status(`started ${step.cacheDir}`);
      const log = path.join(logDir, `${step.cacheDir}.log`);
      fs.rmSync(log, { force: true });
      try {
        for (const [key, spec] of step.specs) paths[key] = await buildBinary(spec, log);
      } catch (err) {
        queue.length = 0; // start nothing more; the builds already running finish
        throw err;
      }
      step.done = Date.now();
      status(`built ${step.cacheDir} in ${fmt((step.done - step.started) / 1000)}`);
    }
  };
  try {
    await Promise.all(Array.from({ length: jobs }, worker));
  } finally {
    clearInterval(heartbeat);
  }
  process.stderr.write(`[${label}] all binaries ready in ${fmt((Date.now() - t0) / 1000)}\n`);
  return paths;
}

if (require.main === module) {
  // An existing cluster needs no local control plane.
  const external = !!process.env.PULUMI_KPACK_TEST_KUBECONFIG;
  prepareBinaries({ skip: (spec) => external && spec.envtest }).then(
    (paths) => {
      for (const [key, p] of Object.entries(paths)) process.stderr.write(`test binary ${key}: ${p}\n`);
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
