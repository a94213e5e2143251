import * as https from "node:https";
import type * as k8s from "@kubernetes/client-node";

/**
 * The kube-apiserver's own request counters (`apiserver_request_total` from
 * GET /metrics), read with an admin kubeconfig. Tests use them to prove that a
 * command wrote nothing to the cluster.
 */

/** Verbs that change the cluster, as the apiserver labels them. */
export const WRITE_VERBS = ["POST", "PUT", "PATCH", "DELETE", "APPLY", "DELETECOLLECTION", "CREATE", "UPDATE"] as const;

/**
 * Resources written by the control plane's and the kpack controller's own
 * heartbeats (leader-election and apiserver-identity leases, events), whatever
 * pulumi-kpack does. pulumi-kpack writes neither.
 */
export const BACKGROUND_RESOURCES = ["leases", "events"];

export interface RequestCount {
  labels: Record<string, string>;
  value: number;
}

export async function metricsText(kubeConfig: k8s.KubeConfig): Promise<string> {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error("metrics: the kubeconfig has no current cluster");
  const url = new URL("/metrics", cluster.server);
  const opts: https.RequestOptions = { hostname: url.hostname, port: url.port, path: url.pathname, method: "GET" };
  await kubeConfig.applyToHTTPSOptions(opts);
  return new Promise((resolve, reject) => {
    const req = https.request(opts, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        if (res.statusCode !== 200) reject(new Error(`GET /metrics: HTTP ${res.statusCode}: ${body.slice(0, 300)}`));
        else resolve(body);
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.setTimeout(30_000, () => req.destroy(new Error("GET /metrics timed out")));
    req.end();
  });
}

/** Every sample of `apiserver_request_total` in a Prometheus text exposition. */
export function requestCounts(text: string): RequestCount[] {
  return samples(text, "apiserver_request_total");
}

/** Every sample of one metric (`name{labels} value`) in a Prometheus text exposition. */
export function samples(text: string, name: string): RequestCount[] {
  const out: RequestCount[] = [];
  const re = new RegExp(`^${name}\\{([^}]*)\\}\\s+(\\S+)`);
  for (const line of text.split("\n")) {
    const m = re.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of m[1].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ labels, value: Number(m[2]) });
  }
  return out;
}

/** The write requests by verb/group/resource/subresource, leaving out the background resources. */
export interface WriteCounts {
  total: number;
  byKey: Map<string, number>;
}

/**
 * Writes only kpack's controller makes, never pulumi-kpack: it creates every
 * Build (the provider only annotates one to trigger a rebuild) and writes
 * every status. Images earlier tests left behind may still be building.
 */
function controllerOnly(l: Record<string, string>): boolean {
  return l.subresource === "status" || (l.group === "kpack.io" && l.resource === "builds" && l.verb === "POST");
}

export function writeCounts(samples: RequestCount[]): WriteCounts {
  const byKey = new Map<string, number>();
  let total = 0;
  for (const s of samples) {
    if (!(WRITE_VERBS as readonly string[]).includes(s.labels.verb)) continue;
    if (BACKGROUND_RESOURCES.includes(s.labels.resource)) continue;
    if (controllerOnly(s.labels)) continue;
    const key = `${s.labels.verb} ${s.labels.group || "core"}/${s.labels.resource}${s.labels.subresource ? "/" + s.labels.subresource : ""}`;
    byKey.set(key, (byKey.get(key) ?? 0) + s.value);
    total += s.value;
  }
  return { total, byKey };
}

export async function apiserverWrites(kubeConfig: k8s.KubeConfig): Promise<WriteCounts> {
  const samples = requestCounts(await metricsText(kubeConfig));
  if (!samples.length) throw new Error("GET /metrics has no apiserver_request_total samples");
  return writeCounts(samples);
}

/** What changed between two readings, as "VERB group/resource: +n" lines (empty when nothing did). */
export function writesBetween(before: WriteCounts, after: WriteCounts): string[] {
  const lines: string[] = [];
  for (const [key, n] of after.byKey) {
    const d = n - (before.byKey.get(key) ?? 0);
    if (d !== 0) lines.push(`${key}: +${d}`);
  }
  return lines.sort();
}

/**
 * The apiserver's calls of each admission webhook so far, by webhook name, and the
 * seconds they took (apiserver_admission_webhook_admission_duration_seconds).
 */
export function webhookCalls(text: string): Map<string, { calls: number; seconds: number }> {
  const out = new Map<string, { calls: number; seconds: number }>();
  const add = (metric: string, key: "calls" | "seconds") => {
    for (const s of samples(text, metric)) {
      const e = out.get(s.labels.name) ?? { calls: 0, seconds: 0 };
      e[key] += s.value;
      out.set(s.labels.name, e);
    }
  };
  add("apiserver_admission_webhook_admission_duration_seconds_count", "calls");
  add("apiserver_admission_webhook_admission_duration_seconds_sum", "seconds");
  return out;
}
