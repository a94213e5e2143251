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
  /** Settles when the step's binaries are in the cache (or its build failed). */
  finished: Promise<void>;
  settle: (err?: Error) => void;
}

function fmt(s: number): string {
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.round(s % 60)).padStart(2, "0")}`;
}

export type BinaryKey = keyof typeof binaries;

/** A preparation under way: what it has found or built, and a way to wait for some of it. */
export interface Preparation {
  /** Resolves once these binaries are in the cache; rejects if one of their builds failed. */
  ready(keys: BinaryKey[]): Promise<void>;
  /** Prints an event of the caller (e.g. "control plane ready") in the same display, above the progress line. */
  note(event: string): void;
  /** Every binary: its path, once all are found or built. */
  all: Promise<Record<string, string>>;
}

/**
 * Finds or builds every binary (except the skipped), `jobs` builds at a time,
 * in `order` (cache entry names without their version, e.g. "kubernetes"),
 * the rest longest first. One progress display for all of it: done/total,
 * elapsed, what builds, and what is left by the published step times (on a
 * terminal one line that rewrites itself; otherwise a line per event and a
 * heartbeat each minute). Callers start what needs only some of the binaries
 * (the control plane, kpack) as soon as `ready` says those are there.
 */
export function startPreparation(
  opts: { jobs?: number; skip?: (spec: BinarySpec, key: BinaryKey) => boolean; label?: string; order?: string[] } = {},
): Preparation {
  const jobs = Math.max(1, opts.jobs ?? (Number(process.env.PULUMI_KPACK_BUILD_JOBS) || 2));
  const label = opts.label ?? "preparing the environment";
  const paths: Record<string, string> = {};
  const byDir = new Map<string, Step>();
  const stepOf = new Map<string, Step>();
  for (const [key, spec] of Object.entries(binaries) as [BinaryKey, BinarySpec][]) {
    if (opts.skip?.(spec, key)) continue;
    const found = locate(spec);
    if (found) {
      paths[key] = found.path;
      continue;
    }
    let step = byDir.get(spec.cacheDir);
    if (!step) {
      let settle!: Step["settle"];
      const finished = new Promise<void>((resolve, reject) => (settle = (err) => (err === undefined ? resolve() : reject(err))));
      // A step nobody waits for must not turn its failure into an unhandled rejection: `all` reports it.
      finished.catch(() => undefined);
      step = { cacheDir: spec.cacheDir, specs: [], seconds: published(spec.cacheDir), finished, settle };
      byDir.set(spec.cacheDir, step);
    }
    step.specs.push([key, spec]);
    stepOf.set(key, step);
  }
  const base = (dir: string) => dir.replace(/-v?[0-9a-f.]+$/, "");
  const rank = (s: Step) => {
    const i = opts.order?.indexOf(base(s.cacheDir)) ?? -1;
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  const steps = [...byDir.values()].sort((a, b) => rank(a) - rank(b) || b.seconds - a.seconds);
  const t0 = Date.now();
  const tty = process.stderr.isTTY === true;
  let shown = false;
  const line = (): string => {
    const now = Date.now();
    const done = steps.filter((s) => s.done).length;
    const running = steps.filter((s) => s.started && !s.done);
    // Left: the published time of what has not started, and of what runs minus what it has run,
    // shared by the jobs that run at once (at most the number of cores: builds are CPU-bound).
    const serialLeft =
      steps.filter((s) => !s.started).reduce((a, s) => a + s.seconds, 0) +
      running.reduce((a, s) => a + Math.max(s.seconds * 0.1, s.seconds - (now - s.started!) / 1000), 0);
    const left = serialLeft / Math.min(jobs, Math.max(1, os.cpus().length / 2 + 0.5));
    return (
      `[${label}] ${done}/${steps.length} built, ${fmt((now - t0) / 1000)} elapsed` +
      (running.length ? `, building ${running.map((s) => s.cacheDir).join(", ")}` : "") +
      (done < steps.length ? `, about ${Math.max(1, Math.round(left / 60))} min left` : "")
    );
  };
  const status = (event?: string): void => {
    // Nothing to build (a warm cache): the caller's own lines say enough.
    if (!steps.length) return;
    const building = steps.some((s) => !s.done);
    if (tty) {
      // Events scroll above; the progress line stays at the bottom while builds run.
      process.stderr.write(`\r\x1b[K${event ? `  ${event}\n` : ""}${building ? line() : ""}`);
      shown = building;
    } else process.stderr.write(`${event ? `  ${event}\n` : ""}${line()}\n`);
  };
  const all = (async (): Promise<Record<string, string>> => {
    if (steps.length === 0) return paths;
    const logDir = path.join(cacheRoot(), "logs");
    fs.mkdirSync(logDir, { recursive: true });
    process.stderr.write(`[${label}] ${steps.length} builds from the Go module proxy, ${jobs} at a time (once per machine; logs in ${logDir})\n`);
    const heartbeat = setInterval(() => status(), tty ? 1000 : 60_000);
    const queue = [...steps];
    let failure: Error | undefined;
    const worker = async (): Promise<void> => {
      for (let step = queue.shift(); step; step = queue.shift()) {
        step.started = Date.now();
        status(`started ${step.cacheDir}`);
        const log = path.join(logDir, `${step.cacheDir}.log`);
        fs.rmSync(log, { force: true });
        try {
          for (const [key, spec] of step.specs) paths[key] = await buildBinary(spec, log);
        } catch (e) {
          const err = e instanceof Error ? e : new Error(`building ${step.cacheDir} failed`);
          failure ??= err;
          step.settle(err);
          // Start nothing more; the builds already running finish. What never starts fails its waiters too.
          for (const s of queue.splice(0)) s.settle(err);
          return;
        }
        step.done = Date.now();
        status(`built ${step.cacheDir} in ${fmt((step.done - step.started) / 1000)}`);
        step.settle();
      }
    };
    try {
      await Promise.all(Array.from({ length: jobs }, worker));
    } finally {
      clearInterval(heartbeat);
      if (tty && shown) process.stderr.write("\n");
    }
    if (failure) throw failure;
    process.stderr.write(`[${label}] all binaries ready in ${fmt((Date.now() - t0) / 1000)}\n`);
    return paths;
  })();
  all.catch(() => undefined);
  return {
    all,
    note: (event) => status(event),
    async ready(keys) {
      await Promise.all(keys.flatMap((k) => stepOf.get(k)?.finished ?? []));
    },
  };
}

/** Finds or builds every binary (see startPreparation) and returns their paths. */
export function prepareBinaries(opts: Parameters<typeof startPreparation>[0] = {}): Promise<Record<string, string>> {
  return startPreparation(opts).all;
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
