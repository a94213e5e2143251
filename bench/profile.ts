import * as fs from "node:fs";

/**
 * `node dist/bench/profile.js <file.cpuprofile> [top]`: where a process's CPU
 * time went (node's --cpu-prof, which BENCH_CPU_PROFILE=1 turns on), by
 * package under node_modules (or node's own code) and by function, self time.
 */
interface Profile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }>;
  startTime: number;
  endTime: number;
  samples: number[];
}

/** The package a script URL belongs to: the last node_modules entry in its path, else node's own or the application's. */
export function packageOf(url: string): string {
  const m = /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (url.startsWith("node:")) return "(node)";
  return url ? "(app)" : "(native/GC/idle)";
}

export function summarize(file: string, top = 25) {
  const p = JSON.parse(fs.readFileSync(file, "utf8")) as Profile;
  const perSampleMs = (p.endTime - p.startTime) / 1000 / Math.max(1, p.samples.length);
  const byPkg = new Map<string, number>();
  const byFn = new Map<string, number>();
  let idle = 0;
  for (const n of p.nodes) {
    const ms = (n.hitCount ?? 0) * perSampleMs;
    if (!ms) continue;
    const fn = n.callFrame.functionName || "(anonymous)";
    if (fn === "(idle)") {
      idle += ms;
      continue;
    }
    const pkg = packageOf(n.callFrame.url);
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + ms);
    const key = `${fn} ${n.callFrame.url.replace(/.*node_modules\//, "")}:${n.callFrame.lineNumber + 1}`;
    byFn.set(key, (byFn.get(key) ?? 0) + ms);
  }
  const busy = [...byPkg.values()].reduce((a, b) => a + b, 0);
  const sorted = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, s: Math.round(ms / 100) / 10 }));
  return {
    wallS: Math.round((p.endTime - p.startTime) / 1e5) / 10,
    busyS: Math.round(busy / 100) / 10,
    idleS: Math.round(idle / 100) / 10,
    byPackage: sorted(byPkg),
    byFunction: sorted(byFn),
  };
}

if (require.main === module) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    process.stderr.write("usage: node dist/bench/profile.js <file.cpuprofile> [top]\n");
    process.exit(2);
  }
  const s = summarize(file, Number(top ?? 25));
  const lines = [`wall ${s.wallS} s, busy ${s.busyS} s, idle ${s.idleS} s`, "", "| package | CPU s |", "|---|---|"];
  for (const x of s.byPackage) lines.push(`| ${x.name} | ${x.s} |`);
  lines.push("", "| function | CPU s |", "|---|---|");
  for (const x of s.byFunction) lines.push(`| ${x.name.replace(/\|/g, "\\|")} | ${x.s} |`);
  process.stdout.write(lines.join("\n") + "\n");
}
