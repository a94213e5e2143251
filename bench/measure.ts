import * as fs from "node:fs";
import { descendants } from "../devenv/processes";

/**
 * What the bench measures besides wall time: the apiserver's audit log of one
 * user (requests by verb and resource, and the most watches that user held
 * open at once per resource and namespace), and the peak RSS of the dynamic
 * provider's process under this one.
 */

interface AuditEvent {
  stage: string;
  verb: string;
  user?: { username?: string };
  objectRef?: { resource?: string; namespace?: string; apiGroup?: string; subresource?: string };
  requestReceivedTimestamp?: string;
  stageTimestamp?: string;
}

/** The audit log's size now: a later read takes only what came after. */
export const auditMark = (file: string): number => fs.statSync(file).size;

function eventsSince(file: string, mark: number, user: string): AuditEvent[] {
  const fd = fs.openSync(file, "r");
  try {
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.alloc(size - mark);
    fs.readSync(fd, buf, 0, buf.length, mark);
    return buf
      .toString("utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditEvent)
      .filter((e) => e.user?.username === user);
  } finally {
    fs.closeSync(fd);
  }
}

export interface RequestSummary {
  /** Completed requests by verb (get, list, watch, create, patch, delete, …). */
  byVerb: Record<string, number>;
  total: number;
  /** Most watches open at once, per `resource namespace`. */
  peakWatches: Record<string, number>;
}

export function requestsSince(file: string, mark: number, user: string): RequestSummary {
  const events = eventsSince(file, mark, user);
  const byVerb: Record<string, number> = {};
  let total = 0;
  // A watch opens at ResponseStarted and closes at ResponseComplete.
  const edges: Array<{ t: string; key: string; d: number }> = [];
  for (const e of events) {
    const key = `${e.objectRef?.resource ?? "?"} ${e.objectRef?.namespace ?? "(cluster)"}`;
    if (e.stage === "ResponseComplete") {
      byVerb[e.verb] = (byVerb[e.verb] ?? 0) + 1;
      total++;
      if (e.verb === "watch") edges.push({ t: e.stageTimestamp ?? "", key, d: -1 });
    } else if (e.stage === "ResponseStarted" && e.verb === "watch") edges.push({ t: e.stageTimestamp ?? "", key, d: +1 });
  }
  edges.sort((a, b) => a.t.localeCompare(b.t) || b.d - a.d);
  const open: Record<string, number> = {};
  const peakWatches: Record<string, number> = {};
  for (const e of edges) {
    open[e.key] = (open[e.key] ?? 0) + e.d;
    peakWatches[e.key] = Math.max(peakWatches[e.key] ?? 0, open[e.key]);
  }
  return { byVerb, total, peakWatches };
}

/** utime+stime of a process in seconds, and its short name; undefined once it has exited. */
function cpuOf(pid: number): { name: string; seconds: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14 and 15 of stat (utime, stime), in clock ticks of 1/100 s on Linux.
    return { name, seconds: (Number(f[11]) + Number(f[12])) / 100 };
  } catch {
    return undefined;
  }
}

/** What the processes of one command cost: the dynamic provider's peak RSS, and CPU seconds per process name. */
export interface ProcessCost {
  rssMb: number;
  /** With a heap snapshot taken: the largest RSS sampled (every 200 ms) before it. */
  rssBeforeSnapshotMb?: number;
  cpu: Record<string, number>;
}

/**
 * Samples, until stopped, every process under this one (the environment's
 * and the pulumi CLI's): the peak RSS (VmHWM) of the dynamic-provider
 * processes (`node …/@pulumi/pulumi/cmd/dynamic-provider`), and the CPU time
 * each process spent meanwhile, summed by name (this process, which runs the
 * build pods' runner, counts as "bench").
 */
export function processCost(opts: { snapshotAtMb?: number } = {}): { stop(): ProcessCost } {
  let peakKb = 0;
  // The provider's largest RSS sampled before a heap snapshot (which itself grows the process).
  let beforeSnapshotKb = 0;
  const signalled = new Set<number>();
  const startCpu = new Map<number, number>();
  const lastCpu = new Map<number, { name: string; seconds: number }>();
  const self0 = process.cpuUsage();
  const sample = (first = false) => {
    for (const pid of descendants(process.pid)) {
      const c = cpuOf(pid);
      if (!c) continue;
      // Node names its main thread "MainThread", which is what /proc shows for it.
      const name = c.name === "node" || c.name === "MainThread" ? nodeRole(pid) : c.name;
      if (first) startCpu.set(pid, c.seconds);
      lastCpu.set(pid, { name, seconds: c.seconds });
      if (name !== "dynamic-provider") continue;
      try {
        const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
        const hwm = /VmHWM:\s+(\d+)/.exec(status);
        if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
        // BENCH_HEAP_SNAPSHOT_MB: one heap snapshot (node's --heapsnapshot-signal) once the provider's RSS passes it.
        const rss = /VmRSS:\s+(\d+)/.exec(status);
        if (rss && !signalled.has(pid)) beforeSnapshotKb = Math.max(beforeSnapshotKb, Number(rss[1]));
        if (opts.snapshotAtMb && rss && Number(rss[1]) / 1024 >= opts.snapshotAtMb && !signalled.has(pid)) {
          signalled.add(pid);
          process.kill(pid, "SIGUSR2");
        }
      } catch {
        // exited meanwhile
      }
    }
  };
  sample(true);
  const timer = setInterval(sample, 200);
  return {
    stop() {
      clearInterval(timer);
      sample();
      const cpu: Record<string, number> = {};
      for (const [pid, c] of lastCpu) cpu[c.name] = (cpu[c.name] ?? 0) + c.seconds - (startCpu.get(pid) ?? 0);
      const self = process.cpuUsage(self0);
      cpu.bench = (self.user + self.system) / 1e6;
      for (const k of Object.keys(cpu)) cpu[k] = Math.round(cpu[k] * 10) / 10;
      return { rssMb: peakKb / 1024, cpu, ...(signalled.size ? { rssBeforeSnapshotMb: beforeSnapshotKb / 1024 } : {}) };
    },
  };
}

/** A node process's role, from its command line: the dynamic provider, or the program (ts-node) the language host runs. */
function nodeRole(pid: number): string {
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
    if (cmd.includes("dynamic-provider")) return "dynamic-provider";
    if (cmd.includes("cmd/run")) return "program";
    return "node";
  } catch {
    return "node";
  }
}
