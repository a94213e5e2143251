import * as fs from "node:fs";
import * as k8s from "@kubernetes/client-node";
import type { Kube } from "../kube/client";
import { apiMessage, describe, get, httpStatus, KubeObject, refOf, servedResource, waitUntil } from "../kube/objects";
import type { InstallOptions } from "../../schema/common";
import type { Progress } from "../progress";
import { observedCurrent } from "../conditions";
import { Deadline, MANIFEST_FETCH_TIMEOUT_MS } from "../wait-policy";
import { applyManifest, orderManifest } from "./apply";
import {
  controllerOf,
  DEFAULT_KPACK_VERSION,
  describeSource,
  hookDecision,
  Installed,
  INSTALLED_BY,
  INSTALLED_VERSION,
  Installer,
  ManifestSource,
  parseManifest,
  releaseUrl,
  validateManifest,
  versionOfDeployment,
} from "./manifest";

/**
 * Installing, upgrading and removing kpack itself. The resource hooks call
 * ensureKpack() before applying their object; KpackInstallation calls
 * install()/uninstall() directly. Both apply the same release manifest the
 * same way (server-side apply, dependency order, CRDs Established first).
 */
export type { InstallOptions };

const KPACK_NAMESPACE = "kpack";

/** What the cluster has: kpack's CRDs, its controller Deployment and version, and whether pulumi-kpack installed it. */
export async function readInstalled(k: Kube, namespace = KPACK_NAMESPACE): Promise<Installed> {
  const [crd, deployment, ns] = await Promise.all([
    get(k, { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", name: "images.kpack.io" }),
    get(k, { apiVersion: "apps/v1", kind: "Deployment", name: "kpack-controller", namespace }),
    get(k, { apiVersion: "v1", kind: "Namespace", name: namespace }),
  ]);
  const by = ns?.metadata?.annotations?.[INSTALLED_BY];
  return {
    crds: !!crd,
    controller: !!deployment,
    version: versionOfDeployment(deployment) ?? ns?.metadata?.annotations?.[INSTALLED_VERSION],
    installer: by === "hook" || by === "installation" ? by : undefined,
  };
}

/** A URL for messages: without any user:password part. */
function shown(url: string): string {
  return url.replace(/^([a-z]+:\/\/)[^/@]*@/i, "$1");
}

/** Release YAML from the source given, else PULUMI_KPACK_MANIFEST_URL, else the official release of `version`. */
export async function loadManifest(src: ManifestSource, version: string): Promise<{ objects: KubeObject[]; source: string }> {
  // Only with neither a file nor inline YAML does a URL apply: the one given, the environment's, or the official release.
  const url =
    src.manifestFile !== undefined || src.manifestYaml !== undefined
      ? undefined
      : (src.manifestUrl ?? process.env.PULUMI_KPACK_MANIFEST_URL?.replace("{version}", version) ?? releaseUrl(version));
  const source = url ? shown(url) : describeSource(src, version);
  let yaml: string;
  if (src.manifestYaml !== undefined) yaml = src.manifestYaml;
  else if (src.manifestFile !== undefined || url?.startsWith("file://")) {
    const file = src.manifestFile ?? new URL(url!).pathname;
    try {
      yaml = fs.readFileSync(file, "utf8");
    } catch (e) {
      throw new Error(`Cannot read the kpack manifest file ${file}: ${(e as Error).message}. Fix installKpack.manifestFile.`, { cause: e });
    }
  } else {
    let res: Response;
    try {
      res = await fetch(url!, { signal: AbortSignal.timeout(MANIFEST_FETCH_TIMEOUT_MS), redirect: "follow" });
    } catch (e) {
      // fetch's error can quote the URL, user:password included: every URL in it is shown() like `source`.
      const cause = ((e as { cause?: { message?: string } }).cause?.message ?? (e as Error).message).replace(/[a-z]+:\/\/\S+/gi, shown);
      // eslint-disable-next-line preserve-caught-error -- fetch's error can quote the URL with its user:password, which `source` (shown()) leaves out
      throw new Error(
        `Cannot fetch the kpack manifest from ${source}: ${cause}. Check the URL and the network, or pass the release YAML with installKpack.manifestFile or manifestYaml.`,
      );
    }
    if (!res.ok)
      throw new Error(`Fetching the kpack manifest from ${source} answered HTTP ${res.status}. Check installKpack.version or manifestUrl.`);
    yaml = await res.text();
  }
  return { objects: parseManifest(yaml, source), source };
}

/** The plural resource name of each kind, from discovery or from the manifest's own CRDs. */
async function resourceOf(k: Kube, o: KubeObject, crds: readonly KubeObject[]): Promise<{ group: string; resource: string; namespaced: boolean }> {
  const group = o.apiVersion?.includes("/") ? o.apiVersion.split("/")[0] : "";
  const crd = crds.find((c) => {
    const spec = c.spec as { group?: string; names?: { kind?: string } } | undefined;
    return spec?.group === group && spec?.names?.kind === o.kind;
  });
  if (crd) {
    const spec = crd.spec as { names: { plural: string }; scope?: string };
    return { group, resource: spec.names.plural, namespaced: spec.scope === "Namespaced" };
  }
  const r = await servedResource(k, o.apiVersion ?? "", o.kind ?? "");
  if (!r)
    throw new Error(
      `The kpack manifest has ${describe(refOf(o))}, whose kind ${o.apiVersion} ${o.kind} this cluster does not serve. Use a kpack release made for this Kubernetes version.`,
    );
  return { group, resource: r.name, namespaced: r.namespaced };
}

/**
 * Checks, before writing anything, that the kubeconfig's user may create and
 * patch every kind in the manifest (SelfSubjectAccessReview), so a user who is
 * not cluster-admin gets one error listing what is missing, not half an install.
 */
export async function preflight(k: Kube, objects: readonly KubeObject[]): Promise<void> {
  const authz = k.config.makeApiClient(k8s.AuthorizationV1Api);
  const crds = objects.filter((o) => o.kind === "CustomResourceDefinition");
  const checks = new Map<string, k8s.V1ResourceAttributes>();
  for (const o of objects) {
    const r = await resourceOf(k, o, crds);
    const namespace = r.namespaced ? (o.metadata?.namespace ?? "default") : undefined;
    for (const verb of ["create", "patch"]) {
      checks.set(`${verb} ${r.resource}.${r.group} ${namespace ?? ""}`, { group: r.group, resource: r.resource, verb, namespace });
    }
  }
  const denied: string[] = [];
  await Promise.all(
    [...checks.entries()].map(async ([what, attrs]) => {
      const review = await authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: attrs } } });
      if (!review.status?.allowed) denied.push(what.trim());
    }),
  );
  if (denied.length) {
    const user = k.config.getCurrentUser()?.name ?? "the kubeconfig's user";
    throw new Error(
      `Installing kpack needs permissions that ${user} lacks on ${k.server}: ${denied.sort().join("; ")}. Nothing was applied. Run with a cluster-admin kubeconfig, or install kpack beforehand and set installKpack: false.`,
    );
  }
}

/**
 * Ready when the controller has reconciled the manifest's default
 * ClusterLifecycle (kpack ≥0.17 ships one); true alike for a controller run by
 * a Deployment and one run elsewhere. Older releases: the Deployment is available.
 */
export async function awaitController(k: Kube, objects: readonly KubeObject[], deadline: Deadline, progress: Progress): Promise<void> {
  const lifecycle = objects.find((o) => o.kind === "ClusterLifecycle");
  progress.status("waiting for the kpack controller to start reconciling");
  if (lifecycle) {
    await waitUntil(
      k,
      refOf(lifecycle),
      (o) => !!o && observedCurrent(o) && !!(o.status as { conditions?: unknown[] } | undefined)?.conditions?.length,
      deadline.remainingMs(),
      "for the kpack controller to reconcile it (is the kpack-controller Deployment running?)",
    );
    return;
  }
  const c = controllerOf(objects);
  if (!c) return;
  await waitUntil(
    k,
    refOf(c.deployment),
    (o) => ((o?.status as { availableReplicas?: number } | undefined)?.availableReplicas ?? 0) > 0,
    deadline.remainingMs(),
    "for the kpack controller to become available",
  );
}

interface WebhookEntry {
  rules?: unknown[];
  clientConfig?: { caBundle?: string };
}

/**
 * True once kpack's webhook has configured itself into `o`: every webhook of a
 * Mutating/ValidatingWebhookConfiguration has rules and a caBundle, or a CRD's
 * conversion webhook has its caBundle. The release ships them without either
 * (the webhook fills them in); until then the apiserver neither defaults nor
 * validates kpack objects, and cannot convert them between versions.
 */
export function webhookConfigured(o: KubeObject | undefined): boolean {
  if (!o) return false;
  if (o.kind === "CustomResourceDefinition") {
    const conv = (o.spec as { conversion?: { strategy?: string; webhook?: { clientConfig?: { caBundle?: string } } } } | undefined)?.conversion;
    return conv?.strategy !== "Webhook" || !!conv.webhook?.clientConfig?.caBundle;
  }
  const hooks = (o as { webhooks?: WebhookEntry[] }).webhooks ?? [];
  return hooks.length > 0 && hooks.every((w) => (w.rules?.length ?? 0) > 0 && !!w.clientConfig?.caBundle);
}

/** The manifest's objects that kpack's webhook must configure before kpack objects are admitted as on any cluster. */
export function webhookTargets(objects: readonly KubeObject[]): KubeObject[] {
  return objects.filter(
    (o) =>
      o.kind === "MutatingWebhookConfiguration" ||
      o.kind === "ValidatingWebhookConfiguration" ||
      (o.kind === "CustomResourceDefinition" && (o.spec as { conversion?: { strategy?: string } } | undefined)?.conversion?.strategy === "Webhook"),
  );
}

/**
 * Ready when kpack's webhook serves: both webhook configurations and every
 * converted CRD carry its rules and certificate. A release without a webhook
 * (none of these objects) has nothing to wait for.
 */
export async function awaitWebhook(k: Kube, objects: readonly KubeObject[], deadline: Deadline, progress: Progress): Promise<void> {
  const targets = webhookTargets(objects);
  if (!targets.length) return;
  progress.status("waiting for kpack's webhook to configure its admission and conversion webhooks");
  const ns = objects.find((o) => o.kind === "Deployment" && o.metadata?.name === "kpack-webhook")?.metadata?.namespace ?? KPACK_NAMESPACE;
  await Promise.all(
    targets.map((t) =>
      waitUntil(
        k,
        refOf(t),
        webhookConfigured,
        deadline.remainingMs(),
        `for kpack's webhook to fill in its rules and certificate (is the kpack-webhook Deployment in namespace ${ns} running?)`,
      ),
    ),
  );
}

/**
 * Applies a kpack release and records who installed which version on its
 * namespace, within the deadline (installKpack.timeoutSeconds, when given, bounds it further).
 */
export async function install(
  k: Kube,
  objects: KubeObject[],
  installer: Installer,
  opts: InstallOptions,
  progress: Progress,
  operation: Deadline,
): Promise<{ version: string; namespace: string }> {
  const deadline = opts.timeoutSeconds !== undefined ? operation.within(opts.timeoutSeconds * 1000) : operation;
  const { namespace, version: declared } = validateManifest(objects, "the manifest");
  const version = declared ?? opts.version ?? DEFAULT_KPACK_VERSION;
  await preflight(k, objects);
  // An upgrade over a webhook that already serves has nothing to wait for on that side.
  const webhookServing = (await Promise.all(webhookTargets(objects).map((t) => get(k, refOf(t))))).every(webhookConfigured);
  let n = 0;
  await applyManifest(k, objects, {
    timeoutMs: deadline.remainingMs(),
    onApplied: (o) => progress.status(`installing kpack ${version}: applied ${++n}/${objects.length} (${describe(refOf(o))})`),
  });
  await k.objects
    .patch(
      {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: namespace, annotations: { [INSTALLED_BY]: installer, [INSTALLED_VERSION]: version } },
      },
      undefined,
      undefined,
      `pulumi-kpack-${installer}`,
      true,
      k8s.PatchStrategy.ServerSideApply,
    )
    .catch((e: unknown) => {
      throw new Error(`Recording the installation on Namespace ${namespace} failed: ${apiMessage(e)}.`);
    });
  if (!opts.skipAwait) {
    // The webhook first: until it serves, the controller's own status writes are neither validated nor converted.
    if (!webhookServing) await awaitWebhook(k, objects, deadline, progress);
    await awaitController(k, objects, deadline, progress);
  }
  return { version, namespace };
}

/** Removes what a release manifest created, in reverse dependency order, and waits for the namespace to go. */
export async function uninstall(k: Kube, objects: KubeObject[], deadline: Deadline, progress: Progress): Promise<void> {
  for (const o of orderManifest(objects).reverse()) {
    progress.status(`uninstalling kpack: deleting ${describe(refOf(o))}`);
    try {
      await k.objects.delete(o, undefined, undefined, undefined, undefined, "Background");
    } catch (e) {
      if (httpStatus(e) !== 404) throw new Error(`Uninstalling kpack: deleting ${describe(refOf(o))} failed: ${apiMessage(e)}.`, { cause: e });
    }
  }
  const c = controllerOf(objects);
  if (c) {
    await waitUntil(
      k,
      { apiVersion: "v1", kind: "Namespace", name: c.namespace },
      (o) => o === undefined,
      deadline.remainingMs(),
      "to be deleted (its namespace finalizer runs in kube-controller-manager)",
    );
  }
}

// One check per cluster and wanted installation per provider process, shared by every resource that starts at once.
const ensured = new WeakMap<Kube, Map<string, Promise<void>>>();

/**
 * The hook every resource runs before applying its object: install kpack when
 * it is missing, upgrade an installation the hooks made when it is older than
 * wanted, otherwise do nothing. Remembered per cluster; single-flight.
 */
export function ensureKpack(k: Kube, opts: InstallOptions | false | undefined, progress: Progress, deadline: Deadline): Promise<void> {
  if (opts === false) return Promise.resolve();
  const perCluster = ensured.get(k) ?? new Map<string, Promise<void>>();
  ensured.set(k, perCluster);
  const key = JSON.stringify([opts?.version ?? DEFAULT_KPACK_VERSION, opts?.manifestUrl, opts?.manifestFile, opts?.manifestYaml]);
  let p = perCluster.get(key);
  if (!p) {
    p = (async () => {
      const wanted = opts?.version ?? DEFAULT_KPACK_VERSION;
      let installed: Installed;
      try {
        installed = await readInstalled(k);
      } catch (e) {
        // A user who may not read cluster-scoped objects cannot install kpack either: assume it is there.
        if (httpStatus(e) !== 403) throw e;
        progress.warn(
          `cannot check whether kpack is installed (${(e as Error).message}); assuming it is. Set installKpack: false to skip this check`,
        );
        return;
      }
      const decision = hookDecision(installed, wanted);
      if (decision.action === "leave") progress.warn(decision.warning);
      if (decision.action !== "install" && decision.action !== "upgrade") return;
      progress.info(decision.reason);
      const { objects } = await loadManifest(opts ?? {}, wanted);
      // The operation deadline of the resource that started the install bounds it.
      const r = await install(k, objects, "hook", opts ?? {}, progress, deadline);
      progress.info(`kpack ${r.version} installed in namespace ${r.namespace}`);
    })();
    perCluster.set(key, p);
    // A failed check is not remembered: the next resource tries again.
    p.catch(() => perCluster.delete(key));
  }
  return p;
}
