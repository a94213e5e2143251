import * as k8s from "@kubernetes/client-node";
import type { Kube } from "../kube/client";
import { apply, describe, KubeObject, refOf, waitUntil } from "../kube/objects";
import { condition } from "../conditions";
import { TimeoutError } from "../wait-policy";

/**
 * Applying a multi-document manifest (such as kpack's release) in an order the
 * apiserver accepts: a namespace before what lives in it, CRDs before their
 * objects (and only once the CRDs are Established), identities and roles
 * before what runs as them, configuration before the workloads that read it,
 * and admission webhooks last, so they never intercept the install itself.
 */

/** Phases, in apply order. Kinds not listed fall in "rest". */
export const PHASES = ["namespaces", "crds", "identities", "roles", "bindings", "config", "rest", "webhooks"] as const;
export type Phase = (typeof PHASES)[number];

const PHASE_OF_KIND: Record<string, Phase> = {
  Namespace: "namespaces",
  CustomResourceDefinition: "crds",
  ServiceAccount: "identities",
  ClusterRole: "roles",
  Role: "roles",
  ClusterRoleBinding: "bindings",
  RoleBinding: "bindings",
  ConfigMap: "config",
  Secret: "config",
  PriorityClass: "config",
  MutatingWebhookConfiguration: "webhooks",
  ValidatingWebhookConfiguration: "webhooks",
};

export function phaseOf(o: KubeObject): Phase {
  return PHASE_OF_KIND[o.kind ?? ""] ?? "rest";
}

/**
 * The objects in apply order: by phase, and within a phase in their original
 * order (a stable sort), so a manifest's own ordering is kept where it is free.
 */
export function orderManifest(objects: readonly KubeObject[]): KubeObject[] {
  return objects
    .map((o, i) => ({ o, i, p: PHASES.indexOf(phaseOf(o)) }))
    .sort((a, b) => a.p - b.p || a.i - b.i)
    .map((x) => x.o);
}

/** The API groups/versions the manifest's CRDs serve (e.g. "kpack.io/v1alpha2"). */
function servedVersions(crd: KubeObject): string[] {
  const spec = crd.spec as { group?: string; versions?: Array<{ name: string; served?: boolean }> } | undefined;
  return (spec?.versions ?? []).filter((v) => v.served !== false).map((v) => `${spec?.group}/${v.name}`);
}

function isEstablished(o: KubeObject | undefined): boolean {
  return condition(o, "Established")?.status === "True";
}

/**
 * Waits until discovery lists `kind` in `apiVersion`. A CRD can be Established
 * a moment before its group shows up in discovery, and applying by kind needs
 * discovery.
 */
async function waitServed(k: Kube, apiVersion: string, kind: string, deadline: number): Promise<void> {
  const [group, version] = apiVersion.split("/");
  const api = k.config.makeApiClient(k8s.CustomObjectsApi);
  for (;;) {
    try {
      const list = await api.getAPIResources({ group, version });
      if (list.resources.some((r) => r.kind === kind)) return;
    } catch {
      // group not served yet
    }
    if (Date.now() > deadline)
      throw new Error(`${kind} in ${apiVersion} is still not served by ${k.server} although its CRD is Established. Check the apiserver log.`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface ApplyManifestOptions {
  /** Overall time limit (default 120 s). */
  timeoutMs?: number;
  /** Called after each object is applied. */
  onApplied?: (o: KubeObject) => void;
}

/**
 * Applies objects (server-side apply, field manager pulumi-kpack) in
 * orderManifest order, waiting for CRDs to be Established and served before
 * any later phase. Returns the objects as the apiserver stored them.
 */
export async function applyManifest(k: Kube, objects: readonly KubeObject[], opts: ApplyManifestOptions = {}): Promise<KubeObject[]> {
  const budgetMs = opts.timeoutMs ?? 120_000;
  const deadline = Date.now() + budgetMs;
  const ordered = orderManifest(objects);
  const crds = ordered.filter((o) => phaseOf(o) === "crds");
  const crdKinds = new Map<string, string>();
  for (const crd of crds) {
    const kind = (crd.spec as { names?: { kind?: string } } | undefined)?.names?.kind;
    if (kind) for (const gv of servedVersions(crd)) crdKinds.set(`${gv}\u0000${kind}`, kind);
  }
  const applied: KubeObject[] = [];
  const served = new Set<string>();
  let crdsReady = crds.length === 0;
  for (const o of ordered) {
    if (!crdsReady && phaseOf(o) !== "namespaces" && phaseOf(o) !== "crds") {
      for (const crd of crds) {
        await waitUntil(k, refOf(crd), isEstablished, Math.max(1, deadline - Date.now()), "for the CRD to be Established");
      }
      crdsReady = true;
    }
    const gvk = `${o.apiVersion}\u0000${o.kind}`;
    if (crdKinds.has(gvk) && !served.has(gvk)) {
      await waitServed(k, o.apiVersion ?? "", o.kind ?? "", deadline);
      served.add(gvk); // once per kind, not per object
    }
    if (Date.now() > deadline) throw new TimeoutError("Applying the kpack manifest", `to reach ${describe(refOf(o))}`, budgetMs);
    applied.push(await apply(k, o, { force: true }));
    opts.onApplied?.(o);
  }
  return applied;
}
