import * as fs from "node:fs";
import * as path from "node:path";
import { repoRoot } from "../devenv/paths";
import type { RequestSummary } from "./measure";

/** The bench's results: bench/results/results.md (tables), time-vs-n.svg (the plot) and samples.json (every run). */

export type Op =
  | "kubectl apply+wait"
  | "kubectl delete --wait"
  | "pulumi up"
  | "pulumi up, default --parallel"
  | "no-change preview"
  | "no-change up"
  | "pulumi destroy"
  | "empty program up"
  | "empty program destroy"
  | "SDK-only program up"
  | "SDK-only program destroy"
  | "kubectl no-op apply+wait"
  | "kubectl no-op delete"
  | "wait for GC";

export interface Sample {
  n: number;
  run: number;
  op: Op;
  seconds: number;
  requests?: RequestSummary;
  rssMb?: number;
  /** With BENCH_HEAP_SNAPSHOT_MB: the provider's largest RSS before its heap snapshot. */
  rssBeforeSnapshotMb?: number;
  /** CPU seconds per process name during the command (bench/measure.ts processCost). */
  cpu?: Record<string, number>;
  /** After an up or apply+wait: the Images expected, the digests they report, and how many of those the registry serves. */
  images?: { expected: number; digests: number; served: number };
  /** For "wait for GC": whose delete it waited out. */
  side?: string;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const of = (samples: Sample[], n: number, op: Op) => samples.filter((s) => s.n === n && s.op === op);
const med = (samples: Sample[], n: number, op: Op): number | undefined => {
  const xs = of(samples, n, op).map((s) => s.seconds);
  return xs.length ? median(xs) : undefined;
};
const fmt = (x: number | undefined, digits = 1) => (x === undefined ? "–" : x.toFixed(digits));

/** Per-verb requests per Image of an op, median over runs, as "patch 1.0, get 2.1, …". */
function perImage(samples: Sample[], n: number, op: Op): string {
  const runs = of(samples, n, op).filter((s) => s.requests);
  if (!runs.length) return "–";
  const verbs = [...new Set(runs.flatMap((s) => Object.keys(s.requests!.byVerb)))].sort();
  return verbs.map((v) => `${v} ${(median(runs.map((s) => s.requests!.byVerb[v] ?? 0)) / n).toFixed(2)}`).join(", ") || "none";
}

function total(samples: Sample[], n: number, op: Op): string {
  const runs = of(samples, n, op).filter((s) => s.requests);
  return runs.length ? String(Math.max(...runs.map((s) => s.requests!.total))) : "–";
}

/** The most watches the provider held open at once on one resource and namespace, and where. */
function peakWatches(samples: Sample[], n: number, op: Op): string {
  let best = 0;
  let where = "";
  for (const s of of(samples, n, op)) {
    for (const [key, v] of Object.entries(s.requests?.peakWatches ?? {}))
      if (v > best) {
        best = v;
        where = key.split(" ")[0];
      }
  }
  return best ? `${best} (${where})` : "0";
}

/** Which side went first in one run of N: the one whose apply+wait or up was recorded first. */
function firstSide(samples: Sample[], n: number, run: number): "kubectl" | "pulumi" | undefined {
  const ka = samples.findIndex((x) => x.n === n && x.run === run && x.op === "kubectl apply+wait");
  const up = samples.findIndex((x) => x.n === n && x.run === run && x.op === "pulumi up");
  return ka < 0 || up < 0 ? undefined : ka < up ? "kubectl" : "pulumi";
}

/**
 * pulumi up / kubectl apply+wait per run, averaged over the runs where kubectl
 * went first and over those where pulumi did, and the geometric mean of the
 * two: the ratio with the order's effect (the second side runs while the
 * first side's volumes are still being deleted) taken out, whatever the number
 * of runs of each order. Undefined unless both orders ran.
 */
export function balanced(samples: Sample[], n: number): number | undefined {
  const by: Record<string, number[]> = { kubectl: [], pulumi: [] };
  for (const run of new Set(samples.filter((x) => x.n === n).map((x) => x.run))) {
    const first = firstSide(samples, n, run);
    const ka = samples.find((x) => x.n === n && x.run === run && x.op === "kubectl apply+wait");
    const up = samples.find((x) => x.n === n && x.run === run && x.op === "pulumi up");
    if (first && ka && up) by[first].push(up.seconds / ka.seconds);
  }
  if (!by.kubectl.length || !by.pulumi.length) return undefined;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(mean(by.kubectl) * mean(by.pulumi));
}

export function writeResults(
  samples: Sample[],
  meta: { runs: number; ns: number[]; machine: string; parallel: number; defaultParallelMaxN: number },
): void {
  // BENCH_RESULTS: another directory, for a run that is not the bench's main one (e.g. a heap-snapshot run).
  const dir = process.env.BENCH_RESULTS ? path.resolve(process.env.BENCH_RESULTS) : path.join(repoRoot, "bench", "results");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "samples.json"), JSON.stringify(samples, null, 1) + "\n");
  const ns = [...new Set(samples.map((s) => s.n))].sort((a, b) => a - b);
  const rows: string[] = [];
  rows.push(`# Bench: kubectl and pulumi-kpack, N Images sharing one ClusterBuilder`);
  rows.push("");
  rows.push(
    `\`npm run bench\` on this machine (${meta.machine}), ${new Date().toISOString().slice(0, 16)}Z. Median of ${meta.runs} runs per N (seconds); every run creates fresh objects.`,
  );
  rows.push("");
  rows.push(
    "Gross: each command as a user runs it. Net: each side minus its own fixed cost, measured in the same run: an empty program's `up`/`destroy` for pulumi, kubectl's `apply` + `wait` (or `delete`) over an empty list for kubectl (process start, client config, discovery). Targets (issue 20): `pulumi up` gross ≤ 1.25 × and net ≤ 1.0 × kubectl apply+wait at N = 50 and 200; `pulumi destroy` ≤ 1.0 × `kubectl delete --wait` from N = 50.",
  );
  rows.push("");
  rows.push(
    "| N | kubectl apply+wait | pulumi up | **gross ratio** | order-balanced ratio | kubectl fixed | pulumi fixed | net ratio | kubectl delete --wait | pulumi destroy | **gross ratio** | net ratio | no-change preview | no-change up |",
  );
  rows.push("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b ? fmt(a / b, 2) : "–");
  const minus = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined ? a - b : undefined);
  for (const n of ns) {
    const ka = med(samples, n, "kubectl apply+wait");
    const up = med(samples, n, "pulumi up");
    const empty = med(samples, n, "empty program up");
    const kfix = med(samples, n, "kubectl no-op apply+wait");
    const kd = med(samples, n, "kubectl delete --wait");
    const pd = med(samples, n, "pulumi destroy");
    const ed = med(samples, n, "empty program destroy");
    const kdfix = med(samples, n, "kubectl no-op delete");
    rows.push(
      `| ${n} | ${fmt(ka)} | ${fmt(up)} | **${ratio(up, ka)}** | ${fmt(balanced(samples, n), 2)} | ${fmt(kfix)} | ${fmt(empty)} | ${ratio(minus(up, empty), minus(ka, kfix))} | ${fmt(kd)} | ${fmt(pd)} | **${ratio(pd, kd)}** | ${ratio(minus(pd, ed), minus(kd, kdfix))} | ${fmt(med(samples, n, "no-change preview"))} | ${fmt(med(samples, n, "no-change up"))} |`,
    );
  }
  rows.push("");
  rows.push(
    "Every run, in the order it ran: which side went first (alternating by run and by N), both sides' times, the Images whose digest the registry serves after each, and how long the garbage collector took to remove the builds and build pods of each side's delete (the next side started only after).",
  );
  rows.push("");
  rows.push(
    "| N | run | first | kubectl apply+wait | pulumi up | gross ratio | kubectl: digests served | pulumi: digests served | GC wait after kubectl / pulumi |",
  );
  rows.push("|---|---|---|---|---|---|---|---|---|");
  for (const n of ns) {
    const runs = [...new Set(samples.filter((x) => x.n === n).map((x) => x.run))].sort((a, b) => a - b);
    for (const run of runs) {
      const one = (op: Op) => samples.find((x) => x.n === n && x.run === run && x.op === op);
      const ka = one("kubectl apply+wait");
      const up = one("pulumi up");
      const first = firstSide(samples, n, run) ?? "–";
      const served = (x: Sample | undefined) => (x?.images ? `${x.images.served}/${x.images.expected}` : "–");
      const gc = (side: string) =>
        fmt(samples.filter((x) => x.n === n && x.run === run && x.op === "wait for GC" && x.side === side).reduce((t, x) => t + x.seconds, 0));
      rows.push(
        `| ${n} | ${run} | ${first} | ${fmt(ka?.seconds)} | ${fmt(up?.seconds)} | ${ratio(up?.seconds, ka?.seconds)} | ${served(ka)} | ${served(up)} | ${gc("kubectl")} / ${gc("pulumi")} |`,
      );
    }
  }
  rows.push("");
  rows.push(
    `Parallelism: \`pulumi up\` and \`destroy\` ran with \`--parallel ${meta.parallel}\` (resource operations at once; one more \`up\` per N ≤ ${meta.defaultParallelMaxN} at the CLI's default, 4 × cores, is in samples.json as "pulumi up, default --parallel"); kubectl applies, waits for and deletes one object after another, as \`kubectl apply -f\`, \`kubectl wait -f\` and \`kubectl delete --wait -f\` do. Both sides share the same kpack controller, kube-controller-manager and build-pod runner, which builds every pod it is given at once.`,
  );
  rows.push("");
  rows.push(
    "Requests the provider (or kubectl) made, from the apiserver's audit log of its own user: per Image, by verb (median over runs); the total of a no-change command (target 0); the most watches it held open at once on one resource in one namespace; and the dynamic-provider process's peak RSS (VmHWM).",
  );
  rows.push("");
  rows.push(
    "| N | pulumi up, per Image | kubectl apply+wait, per Image | pulumi destroy, per Image | kubectl delete, per Image | no-change preview / up, total | peak open watches (up) | provider peak RSS MB (up / destroy) |",
  );
  rows.push("|---|---|---|---|---|---|---|---|");
  for (const n of ns) {
    const rss = (op: Op) => {
      const xs = of(samples, n, op).map((s) => s.rssMb ?? 0);
      return xs.length ? Math.max(...xs).toFixed(0) : "–";
    };
    rows.push(
      `| ${n} | ${perImage(samples, n, "pulumi up")} | ${perImage(samples, n, "kubectl apply+wait")} | ${perImage(samples, n, "pulumi destroy")} | ${perImage(samples, n, "kubectl delete --wait")} | ${total(samples, n, "no-change preview")} / ${total(samples, n, "no-change up")} | ${peakWatches(samples, n, "pulumi up")} | ${rss("pulumi up")} / ${rss("pulumi destroy")} |`,
    );
  }
  rows.push("");
  rows.push("![time against N](time-vs-n.svg)");
  rows.push("");
  fs.writeFileSync(path.join(dir, "results.md"), rows.join("\n"));
  fs.writeFileSync(path.join(dir, "time-vs-n.svg"), plot(samples, ns));
}

/** Median time against N on log-log axes, one line per command. */
function plot(samples: Sample[], ns: number[]): string {
  const W = 720,
    H = 440,
    L = 60,
    R = 200,
    T = 30,
    B = 50;
  const series: Array<{ op: Op; color: string; dash?: string }> = [
    { op: "kubectl apply+wait", color: "#1f77b4" },
    { op: "pulumi up", color: "#d62728" },
    { op: "kubectl delete --wait", color: "#1f77b4", dash: "6 4" },
    { op: "pulumi destroy", color: "#d62728", dash: "6 4" },
    { op: "empty program up", color: "#7f7f7f", dash: "2 3" },
    { op: "no-change up", color: "#2ca02c", dash: "2 3" },
  ];
  const points = series.map((s) => ({
    ...s,
    pts: ns.map((n) => [n, med(samples, n, s.op)] as const).filter((p): p is readonly [number, number] => p[1] !== undefined),
  }));
  const ys = points.flatMap((p) => p.pts.map((q) => q[1]));
  if (!ys.length || !ns.length) return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"/>\n`;
  const lx = (v: number) => Math.log10(Math.max(v, 1));
  const ly = (v: number) => Math.log10(Math.max(v, 0.1));
  const [x0, x1] = [lx(Math.min(...ns)), Math.max(lx(Math.max(...ns)), lx(Math.min(...ns)) + 1)];
  const [y0, y1] = [Math.floor(ly(Math.min(...ys))), Math.ceil(ly(Math.max(...ys)))];
  const X = (v: number) => L + ((lx(v) - x0) / (x1 - x0)) * (W - L - R);
  const Y = (v: number) => H - B - ((ly(v) - y0) / Math.max(y1 - y0, 1)) * (H - T - B);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${L}" y="18" font-size="14">Median time (s) against N Images, log-log</text>`);
  for (let e = y0; e <= y1; e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (ly(v) > y1) continue;
      out.push(
        `<line x1="${L}" x2="${W - R}" y1="${Y(v)}" y2="${Y(v)}" stroke="#ddd"/><text x="${L - 6}" y="${Y(v) + 4}" text-anchor="end">${v}</text>`,
      );
    }
  }
  for (const n of ns)
    out.push(
      `<line x1="${X(n)}" x2="${X(n)}" y1="${T}" y2="${H - B}" stroke="#eee"/><text x="${X(n)}" y="${H - B + 16}" text-anchor="middle">${n}</text>`,
    );
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">N (Images sharing one ClusterBuilder)</text>`);
  out.push(
    `<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="black"/><line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="black"/>`,
  );
  points.forEach((p, i) => {
    if (!p.pts.length) return;
    const d = p.pts.map((q, j) => `${j ? "L" : "M"}${X(q[0]).toFixed(1)},${Y(q[1]).toFixed(1)}`).join(" ");
    out.push(`<path d="${d}" fill="none" stroke="${p.color}" stroke-width="2"${p.dash ? ` stroke-dasharray="${p.dash}"` : ""}/>`);
    for (const q of p.pts) out.push(`<circle cx="${X(q[0]).toFixed(1)}" cy="${Y(q[1]).toFixed(1)}" r="3" fill="${p.color}"/>`);
    const ly0 = T + 10 + i * 20;
    out.push(
      `<line x1="${W - R + 12}" x2="${W - R + 40}" y1="${ly0}" y2="${ly0}" stroke="${p.color}" stroke-width="2"${p.dash ? ` stroke-dasharray="${p.dash}"` : ""}/><text x="${W - R + 46}" y="${ly0 + 4}">${p.op}</text>`,
    );
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
