import * as fs from "node:fs";
import * as path from "node:path";

/**
 * `node dist/bench/timeline.js <environment dir> [name filter]`: where a kpack
 * object's seconds went, from an environment kept with PULUMI_KPACK_KEEP_ENV=1
 * and PULUMI_KPACK_AUDIT=1 (the apiserver's audit log of every request) and the
 * kpack controller's log. Per object, in time order: the requests that wrote it
 * (who: the provider, kubectl, the controller, the garbage collector), and each
 * of the controller's reconciles with its duration and error. Times are seconds
 * after the first write of the first object shown.
 */
interface AuditEvent {
  stage: string;
  verb: string;
  user?: { username?: string };
  objectRef?: { resource?: string; namespace?: string; name?: string; subresource?: string };
  requestReceivedTimestamp?: string;
  stageTimestamp?: string;
  responseStatus?: { code?: number };
}

interface LogLine {
  ts?: string;
  msg?: string;
  error?: string;
  duration?: number;
  "knative.dev/kind"?: string;
  "knative.dev/key"?: string;
}

export interface TimelineEvent {
  at: number;
  object: string;
  what: string;
}

const KPACK = new Set(["clusterstacks", "clusterstores", "clusterbuilders", "builders", "images", "sourceresolvers", "builds", "clusterlifecycles"]);

/** The object a controller log line's kind and key name, as `resource ns/name` (the audit log's naming). */
const logObject = (kind: string, key: string) => `${kind.replace(/\.kpack\.io$/, "")} ${key}`;

function who(user: string): string {
  if (user.startsWith("system:serviceaccount:kpack:")) return `kpack ${user.split(":").pop()}`;
  if (user.startsWith("system:serviceaccount:kube-system:")) return user.split(":").pop()!;
  return user;
}

export function timeline(envDir: string, filter?: RegExp): TimelineEvent[] {
  const audit = path.join(envDir, "audit.log");
  const controllerLog = path.join(envDir, "kpack", "kpack-controller.log");
  const events: Array<{ t: number; object: string; what: string }> = [];
  for (const line of fs.readFileSync(audit, "utf8").split("\n")) {
    if (!line) continue;
    const e = JSON.parse(line) as AuditEvent;
    const r = e.objectRef;
    if (e.stage !== "ResponseComplete" || !r?.resource || !KPACK.has(r.resource) || !r.name) continue;
    if (!["create", "update", "patch", "delete"].includes(e.verb)) continue;
    const object = `${r.resource} ${r.namespace ? `${r.namespace}/` : ""}${r.name}`;
    events.push({
      t: Date.parse(e.requestReceivedTimestamp ?? ""),
      object,
      what: `${e.verb}${r.subresource ? ` ${r.subresource}` : ""} by ${who(e.user?.username ?? "?")} → ${e.responseStatus?.code ?? "?"}`,
    });
  }
  if (fs.existsSync(controllerLog)) {
    for (const line of fs.readFileSync(controllerLog, "utf8").split("\n")) {
      if (!line.startsWith("{")) continue;
      const l = JSON.parse(line) as LogLine;
      const kind = l["knative.dev/kind"];
      const key = l["knative.dev/key"];
      if (!kind || !key || !l.ts || !/^Reconcile (succeeded|error)$/.test(l.msg ?? "")) continue;
      const seconds = l.duration !== undefined ? ` (${l.duration.toFixed(3)} s)` : "";
      events.push({
        t: Date.parse(l.ts),
        object: logObject(kind, key),
        what: `reconcile ${l.msg === "Reconcile error" ? `error: ${(l.error ?? "").slice(0, 160)}` : "ok"}${seconds}`,
      });
    }
  }
  const shown = events.filter((e) => !filter || filter.test(e.object)).sort((a, b) => a.t - b.t);
  const t0 = shown[0]?.t ?? 0;
  return shown.map((e) => ({ at: (e.t - t0) / 1000, object: e.object, what: e.what }));
}

if (require.main === module) {
  const [dir, filter] = process.argv.slice(2);
  if (!dir) {
    process.stderr.write("usage: node dist/bench/timeline.js <environment dir (kept, with PULUMI_KPACK_AUDIT=1)> [object name regex]\n");
    process.exit(2);
  }
  for (const e of timeline(dir, filter ? new RegExp(filter) : undefined))
    process.stdout.write(`${e.at.toFixed(3).padStart(9)}  ${e.object}  ${e.what}\n`);
}
