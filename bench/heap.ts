import * as fs from "node:fs";

/**
 * `node dist/bench/heap.js <file.heapsnapshot> [top]`: what a V8 heap snapshot
 * holds, by node type and by constructor (self sizes: what each kind of
 * object takes itself), and the sources of the largest code and strings. The
 * bench takes the provider's snapshot with BENCH_HEAP_SNAPSHOT_MB; this reads it.
 */
interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export interface HeapSummary {
  totalMb: number;
  byType: Array<{ type: string; mb: number; count: number }>;
  byName: Array<{ type: string; name: string; mb: number; count: number }>;
}

export function summarize(file: string, top = 25): HeapSummary {
  const snap = JSON.parse(fs.readFileSync(file, "utf8")) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const [iType, iName, iSize] = ["type", "name", "self_size"].map((f) => fields.indexOf(f));
  const byType = new Map<string, { size: number; count: number }>();
  const byName = new Map<string, { type: string; name: string; size: number; count: number }>();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType]];
    const size = snap.nodes[i + iSize];
    total += size;
    const t = byType.get(type) ?? { size: 0, count: 0 };
    t.size += size;
    t.count++;
    byType.set(type, t);
    // Strings and code are named by their content or function: group them by type and a prefix.
    const raw = snap.strings[snap.nodes[i + iName]] ?? "";
    const name = type === "string" || type === "concatenated string" || type === "sliced string" ? "(strings)" : raw.slice(0, 80);
    const key = `${type}\0${name}`;
    const n = byName.get(key) ?? { type, name, size: 0, count: 0 };
    n.size += size;
    n.count++;
    byName.set(key, n);
  }
  const mb = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
  return {
    totalMb: mb(total),
    byType: [...byType.entries()].map(([type, v]) => ({ type, mb: mb(v.size), count: v.count })).sort((a, b) => b.mb - a.mb),
    byName: [...byName.values()]
      .sort((a, b) => b.size - a.size)
      .slice(0, top)
      .map((v) => ({ type: v.type, name: v.name, mb: mb(v.size), count: v.count })),
  };
}

if (require.main === module) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    process.stderr.write("usage: node dist/bench/heap.js <file.heapsnapshot> [top]\n");
    process.exit(2);
  }
  const s = summarize(file, Number(top ?? 25));
  const lines = [`heap (self sizes): ${s.totalMb} MB`, "", "| type | MB | count |", "|---|---|---|"];
  for (const t of s.byType) lines.push(`| ${t.type} | ${t.mb} | ${t.count} |`);
  lines.push("", "| type | name | MB | count |", "|---|---|---|---|");
  for (const n of s.byName) lines.push(`| ${n.type} | ${n.name.replace(/\|/g, "\\|")} | ${n.mb} | ${n.count} |`);
  process.stdout.write(lines.join("\n") + "\n");
}
