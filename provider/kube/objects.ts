import * as k8s from "@kubernetes/client-node";
import { Deadline, TimeoutError } from "../wait-policy";
import type { Kube } from "./client";
import { waitShared } from "./informer";

/** The field manager of every server-side apply the provider makes. */
export const FIELD_MANAGER = "pulumi-kpack";
export const MANAGED_BY = { "app.kubernetes.io/managed-by": "pulumi-kpack" } as const;
/** The URN of the resource that made a kpack object: a create finds an object of its name and knows whether it is its own. */
export const RESOURCE_ANNOTATION = "pulumi-kpack.io/resource";

/** Who made an object, from its annotations and field managers, for a message. */
export function madeBy(o: KubeObject): string {
  const urn = o.metadata?.annotations?.[RESOURCE_ANNOTATION];
  if (urn) return `pulumi-kpack resource ${urn}`;
  // Status writers (kpack's controller) did not make the object: only managers of its spec and metadata count.
  const managers = [
    ...new Set(
      (o.metadata?.managedFields ?? [])
        .filter((f) => !f.subresource)
        .map((f) => f.manager)
        .filter((m): m is string => !!m),
    ),
  ];
  return managers.length ? `field manager ${managers.map((m) => `"${m}"`).join(", ")}` : "an unknown writer";
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export type KubeObject = k8s.KubernetesObject & { spec?: unknown; status?: unknown; [k: string]: unknown };

export function refOf(o: k8s.KubernetesObject): ObjectRef {
  return { apiVersion: o.apiVersion ?? "", kind: o.kind ?? "", name: o.metadata?.name ?? "", namespace: o.metadata?.namespace };
}

export function describe(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ""}${ref.name}`;
}

export function httpStatus(e: unknown): number | undefined {
  if (e instanceof k8s.ApiException) return e.code;
  const code = (e as { code?: unknown })?.code;
  return typeof code === "number" ? code : undefined;
}

/** The apiserver's own message from an error (its Status body), without the client's wrapping noise. */
export function apiMessage(e: unknown): string {
  if (e instanceof k8s.ApiException) {
    const body = e.body as unknown;
    try {
      const parsed: unknown = typeof body === "string" ? JSON.parse(body) : body;
      if (parsed && typeof parsed === "object" && typeof (parsed as { message?: unknown }).message === "string") {
        return (parsed as { message: string }).message;
      }
    } catch {
      // body is not JSON
    }
    return `HTTP ${e.code}`;
  }
  return (e as Error)?.message ?? String(e);
}

function header(ref: ObjectRef): { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } } {
  return { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) } };
}

/**
 * An error worth trying again: no answer at all (connection refused or reset,
 * as while an apiserver restarts), 429, or a 5xx. Anything else the server
 * meant.
 */
export function isTransient(e: unknown): boolean {
  const status = httpStatus(e);
  if (status !== undefined) return status === 429 || status >= 500;
  // Node's fetch fails with "fetch failed" and the socket error as its cause.
  for (let c: unknown = e, depth = 0; c && depth < 4; c = (c as { cause?: unknown }).cause, depth++) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === "string" && NETWORK_ERRORS.has(code)) return true;
    if ((c as Error).message === "fetch failed") return true;
  }
  return false;
}
const NETWORK_ERRORS = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EAI_AGAIN", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT"]);

/** Runs fn again on transient errors (see isTransient), for at most budgetMs, then gives its last error. */
export async function retryTransient<T>(fn: () => Promise<T>, budgetMs: number, retryable: (e: unknown) => boolean = isTransient): Promise<T> {
  const until = Date.now() + budgetMs;
  for (let pause = 250; ; pause = Math.min(pause * 2, 2000)) {
    try {
      return await fn();
    } catch (e) {
      if (!retryable(e) || Date.now() + pause > until) throw e;
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}

/** Reads an object; undefined when it does not exist. */
export async function get(k: Kube, ref: ObjectRef): Promise<KubeObject | undefined> {
  try {
    return await k.objects.read<KubeObject>(header(ref));
  } catch (e) {
    if (httpStatus(e) === 404) return undefined;
    // Keep the HTTP status on the error: callers tell "forbidden" from other failures.
    throw Object.assign(new Error(`${describe(ref)}: reading it from ${k.server} failed: ${apiMessage(e)}.`, { cause: e }), { code: httpStatus(e) });
  }
}

/** What a server-side apply does when another field manager owns a field the object sets to another value. */
export interface ApplyOptions {
  /**
   * Take such fields over (kubectl's --force-conflicts). Without it the apply
   * fails with a message naming the managers and fields: a change made outside
   * the program is not silently undone.
   */
  force: boolean;
}

/** The fields and managers of a 409 apply conflict, from the Status causes the apiserver sends. */
export function applyConflicts(e: unknown): Array<{ manager: string; field: string }> | undefined {
  if (!(e instanceof k8s.ApiException) || e.code !== 409) return undefined;
  let body: unknown = e.body;
  try {
    if (typeof body === "string") body = JSON.parse(body);
  } catch {
    return undefined;
  }
  const causes = (body as { details?: { causes?: Array<{ reason?: string; message?: string; field?: string }> } })?.details?.causes ?? [];
  const out = causes
    .filter((c) => c.reason === "FieldManagerConflict")
    .map((c) => ({ manager: /"([^"]+)"/.exec(c.message ?? "")?.[1] ?? "another field manager", field: c.field ?? "(unknown field)" }));
  return out.length ? out : undefined;
}

/**
 * True for the apiserver's answer when an admission or conversion webhook
 * could not be called (down, unreachable, TLS), as opposed to one that answered
 * with a refusal.
 */
export function webhookUnreachable(message: string): boolean {
  return /failed calling webhook|conversion webhook for .* failed/i.test(message) && !/denied the request/i.test(message);
}

/** Server-side apply with the provider's field manager. */
export async function apply(k: Kube, obj: KubeObject, opts: ApplyOptions): Promise<KubeObject> {
  const ref = refOf(obj);
  try {
    // While kpack's webhook rolls over (an upgrade, a rescheduled pod) the apiserver cannot call it
    // for a moment ("EOF", "no endpoints available"): that passes, a refusal does not.
    return await retryTransient(
      () => k.objects.patch(obj, undefined, undefined, FIELD_MANAGER, opts.force, k8s.PatchStrategy.ServerSideApply),
      WEBHOOK_RETRY_MS,
      (e) => webhookUnreachable(apiMessage(e)),
    );
  } catch (e) {
    throw applyError(ref, e);
  }
}

/** How long an apply retries while kpack's webhook cannot be called, before it names the webhook. */
export const WEBHOOK_RETRY_MS = 15_000;

function applyError(ref: ObjectRef, e: unknown): Error {
  const conflicts = applyConflicts(e);
  if (conflicts) {
    const managers = [...new Set(conflicts.map((c) => `"${c.manager}"`))].join(", ");
    const fields = conflicts.map((c) => c.field).join(", ");
    return new Error(
      `${describe(ref)}: applying it failed: ${conflicts.length === 1 ? "field" : "fields"} ${fields} ${conflicts.length === 1 ? "is" : "are"} also managed by ${managers}, ` +
        `which set a different value outside this program. Make the program's value match, or set forceConflicts: true on this resource to take the ` +
        `${conflicts.length === 1 ? "field" : "fields"} over (as kubectl apply --server-side --force-conflicts does).`,
    );
  }
  const status = httpStatus(e);
  const message = apiMessage(e);
  const hint =
    status === 403
      ? " The kubeconfig's user lacks permission: grant it create/patch on this kind."
      : status === 404
        ? ` The API ${ref.apiVersion} is not served: is kpack installed in this cluster?`
        : webhookUnreachable(message)
          ? ` kpack's webhook does not answer (tried for ${WEBHOOK_RETRY_MS / 1000} s), and the apiserver admits no kpack object without it: check the kpack-webhook Deployment in namespace kpack (kubectl -n kpack get deployment kpack-webhook; its pod's log).`
          : "";
  return new Error(`${describe(ref)}: applying it failed: ${message}.${hint}`);
}

/**
 * After a take-over (adopt): pulumi-kpack's field manager becomes the only
 * owner of the object's spec and metadata, as `kubectl apply --server-side`
 * does when it upgrades an object kubectl made client-side. A forced apply
 * of the same values leaves the tool that made the object a co-owner, and
 * the program's next change would conflict with it. Status writers stay.
 */
export async function soleOwner(k: Kube, obj: KubeObject): Promise<void> {
  const fields = obj.metadata?.managedFields ?? [];
  const keep = fields.filter((f) => f.manager === FIELD_MANAGER || f.subresource);
  if (keep.length === fields.length || !keep.some((f) => f.manager === FIELD_MANAGER)) return;
  const ref = refOf(obj);
  await k.objects
    .patch(
      {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}), managedFields: keep },
      },
      undefined,
      undefined,
      FIELD_MANAGER,
      undefined,
      k8s.PatchStrategy.MergePatch,
    )
    .catch((e: unknown) => {
      throw new Error(`${describe(ref)}: taking sole ownership of its fields failed: ${apiMessage(e)}.`);
    });
}

/**
 * Deletes an object and waits until the apiserver no longer has it, as
 * `kubectl delete --wait` does: background propagation, so the garbage
 * collector removes its dependents (an Image's Builds and their pods) after
 * it, without this wait. Reads the shared informer of the kind (informer.ts).
 */
export async function deleteAndWait(k: Kube, ref: ObjectRef, timeoutMs: number): Promise<void> {
  let after: string | undefined;
  try {
    const r = (await k.objects.delete(header(ref), undefined, undefined, undefined, undefined, "Background")) as k8s.KubernetesObject;
    after = r?.metadata?.resourceVersion;
  } catch (e) {
    if (httpStatus(e) === 404) return;
    throw new Error(`${describe(ref)}: deleting it failed: ${apiMessage(e)}.`, { cause: e });
  }
  await waitObject(k, ref, (o) => o === undefined, timeoutMs, "to be deleted", after);
}

/** waitUntil over the shared informer of ref's kind and namespace (see informer.ts); `after`: a resourceVersion it must have seen. */
async function waitObject(
  k: Kube,
  ref: ObjectRef,
  done: (o: KubeObject | undefined) => boolean,
  timeoutMs: number,
  what: string,
  after?: string,
): Promise<KubeObject | undefined> {
  const key = `${ref.namespace ?? ""}/${ref.name}`;
  const r = await waitShared(
    k,
    ref,
    () => collectionPath(k, ref),
    (items) => {
      const o = items.get(key);
      return done(o) ? { o } : undefined;
    },
    timeoutMs,
    after,
  );
  if ("result" in r) return r.result.o;
  throw new TimeoutError(describe(ref), what, timeoutMs, undefined, r.watchError);
}

/** An equality-based label selector (`a=b,c=d`) as a predicate, for reading a shared informer's cache. */
export function labelMatcher(selector: string | undefined): (o: KubeObject) => boolean {
  const pairs = (selector ?? "")
    .split(",")
    .filter(Boolean)
    .map((p) => p.split("=", 2) as [string, string]);
  return (o) => pairs.every(([key, v]) => o.metadata?.labels?.[key] === v);
}

/** The served resource of a kind (plural name, scope), from discovery: one lookup per group version and client, again when a kind is missing (a CRD installed since). */
export async function servedResource(k: Kube, apiVersion: string, kind: string): Promise<k8s.V1APIResource | undefined> {
  const find = (l: k8s.V1APIResourceList) => l.resources.find((r) => r.kind === kind && !r.name.includes("/"));
  const cache = discovered.get(k) ?? new Map<string, Promise<k8s.V1APIResourceList>>();
  discovered.set(k, cache);
  const cached = cache.get(apiVersion);
  if (cached) {
    const hit = await cached.then(find, () => undefined);
    if (hit) return hit;
  }
  const fresh = discover(k, apiVersion);
  cache.set(apiVersion, fresh);
  try {
    return find(await fresh);
  } catch (e) {
    cache.delete(apiVersion);
    if (httpStatus(e) === 404) return undefined; // the group version is not served
    throw e;
  }
}
const discovered = new WeakMap<Kube, Map<string, Promise<k8s.V1APIResourceList>>>();

/** The public discovery calls of client-node: /api/v1 for the core group, /apis/<group>/<version> for any other. */
function discover(k: Kube, apiVersion: string): Promise<k8s.V1APIResourceList> {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/", 2) : ["", apiVersion];
  if (!group) return k.config.makeApiClient(k8s.CoreV1Api).getAPIResources();
  return k.config.makeApiClient(k8s.CustomObjectsApi).getAPIResources({ group, version });
}

/** The REST path of a kind's collection. */
async function collectionPath(k: Kube, ref: ObjectRef): Promise<string> {
  const plural = await servedResource(k, ref.apiVersion, ref.kind);
  if (!plural) throw new Error(`${describe(ref)}: the apiserver does not serve ${ref.kind} in ${ref.apiVersion}.`);
  const base = ref.apiVersion.includes("/") ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
  return plural.namespaced && ref.namespace ? `${base}/namespaces/${ref.namespace}/${plural.name}` : `${base}/${plural.name}`;
}

export interface CollectionRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  fieldSelector?: string;
  labelSelector?: string;
}

/**
 * Lists a collection and then watches it from the list's resourceVersion,
 * re-listing whenever the server closes the watch, until done() holds for the
 * current set of objects or time runs out. One mechanism for every wait: an
 * object's readiness, its deletion, or any lease being renewed.
 */
export async function waitForCollection(
  k: Kube,
  ref: CollectionRef,
  done: (items: ReadonlyMap<string, KubeObject>) => boolean,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<{ result: "done" | "timeout"; watchError?: string }> {
  const path = await collectionPath(k, { ...ref, name: "" });
  const watch = new k8s.Watch(k.config);
  const deadline = Date.now() + timeoutMs;
  let watchError: string | undefined;
  const key = (o: KubeObject) => `${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;
  for (;;) {
    const listedAt = Date.now();
    let list: k8s.KubernetesListObject<k8s.KubernetesObject>;
    try {
      list = await k.objects.list(ref.apiVersion, ref.kind, ref.namespace, undefined, undefined, undefined, ref.fieldSelector, ref.labelSelector);
    } catch (e) {
      // An apiserver restarting (or a blip on the way to it) ends no wait: list again until the deadline.
      if (!isTransient(e)) throw e;
      watchError = apiMessage(e);
      if (deadline - Date.now() <= 0 || signal?.aborted) return { result: "timeout", watchError };
      await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(0, deadline - Date.now()))));
      continue;
    }
    const items = new Map<string, KubeObject>(list.items.map((o) => [key(o as KubeObject), o as KubeObject]));
    if (done(items)) return { result: "done" };
    const remaining = deadline - Date.now();
    if (remaining <= 0 || signal?.aborted) return { result: "timeout", watchError };
    const result = await new Promise<"done" | "closed" | "timeout">((resolve) => {
      let controller: AbortController | undefined;
      let settled = false;
      const onAbort = () => finish("timeout");
      const finish = (r: "done" | "closed" | "timeout") => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        controller?.abort();
        resolve(r);
      };
      const timer = setTimeout(() => finish("timeout"), remaining);
      signal?.addEventListener("abort", onAbort, { once: true });
      watch
        .watch(
          path,
          {
            fieldSelector: ref.fieldSelector,
            labelSelector: ref.labelSelector,
            resourceVersion: list.metadata?.resourceVersion,
            allowWatchBookmarks: true,
          },
          (phase: string, obj: KubeObject) => {
            if (phase === "BOOKMARK" || phase === "ERROR") return;
            if (phase === "DELETED") items.delete(key(obj));
            else items.set(key(obj), obj);
            if (done(items)) finish("done");
          },
          (err: unknown) => {
            // Kept for the timeout message: a watch refused again and again (403) explains a wait that never ends.
            if (err && !settled) watchError = apiMessage(err);
            finish("closed");
          },
        )
        .then(
          (c) => {
            controller = c;
            if (settled) c.abort();
          },
          (err: unknown) => {
            watchError = apiMessage(err);
            finish("closed");
          },
        );
    });
    if (result !== "closed") return { result, watchError };
    // A watch the server refuses at once would otherwise spin: pace the re-lists.
    const sinceList = Date.now() - listedAt;
    if (sinceList < 1000) await new Promise((r) => setTimeout(r, 1000 - sinceList));
  }
}

/**
 * Waits until done(object) holds for one object, over a watch (see
 * waitForCollection). The predicate sees undefined once the object is gone.
 * Resolves with the object that satisfied it.
 */
export async function waitUntil(
  k: Kube,
  ref: ObjectRef,
  done: (o: KubeObject | undefined) => boolean,
  timeoutMs: number,
  what: string,
  signal?: AbortSignal,
): Promise<KubeObject | undefined> {
  let last: KubeObject | undefined;
  const r = await waitForCollection(
    k,
    { ...ref, fieldSelector: `metadata.name=${ref.name}` },
    (items) => {
      last = items.values().next().value;
      return done(last);
    },
    timeoutMs,
    signal,
  );
  if (r.result === "done") return last;
  throw new TimeoutError(describe(ref), what, timeoutMs, undefined, r.watchError);
}

/**
 * What a kind's wait reads and writes, as one interface so a wait loop can be
 * driven by recorded events in unit tests (tests/unit/image-await.test.ts).
 */
export interface ClusterIO {
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  list(ref: CollectionRef): Promise<KubeObject[]>;
  /**
   * Waits over a watch until done(object) holds (undefined once it is gone);
   * throws TimeoutError at the deadline. `after`: a resourceVersion of the
   * object (from the write that preceded the wait) the watch must have seen first.
   */
  waitUntil(
    ref: ObjectRef,
    done: (o: KubeObject | undefined) => boolean,
    deadline: Deadline,
    what: string,
    after?: string,
  ): Promise<KubeObject | undefined>;
  /** Waits over a watch until done() holds for the objects of a collection that match its label selector; throws TimeoutError at the deadline. */
  waitForList(ref: CollectionRef, done: (items: KubeObject[]) => boolean, deadline: Deadline, what: string): Promise<void>;
  /** A JSON merge patch with the provider's field manager. */
  mergePatch(obj: KubeObject): Promise<void>;
  /** The last `tailLines` lines of a pod container's log (the apiserver's pod log endpoint); undefined when it cannot be read. */
  podLog?(namespace: string, pod: string, container: string, tailLines: number): Promise<string | undefined>;
}

/** How long a wait's reads ride out an unreachable apiserver (a restart takes seconds) before failing. */
const READ_RETRY_MS = 60_000;

/** ClusterIO over a real cluster: waits read the informer of their kind and namespace, shared by every resource in the process. */
export function clusterIO(k: Kube): ClusterIO {
  return {
    get: (ref) => retryTransient(() => get(k, ref), READ_RETRY_MS),
    async list(ref) {
      const l = await retryTransient(
        () => k.objects.list(ref.apiVersion, ref.kind, ref.namespace, undefined, undefined, undefined, ref.fieldSelector, ref.labelSelector),
        READ_RETRY_MS,
      );
      return l.items as KubeObject[];
    },
    waitUntil: (ref, done, deadline, what, after) => waitObject(k, ref, done, deadline.remainingMs(), what, after),
    async waitForList(ref, done, deadline, what) {
      const selected = labelMatcher(ref.labelSelector);
      const r = await waitShared(
        k,
        ref,
        () => collectionPath(k, { ...ref, name: "" }),
        (items) => (done([...items.values()].filter(selected)) ? true : undefined),
        deadline.remainingMs(),
      );
      if (!("result" in r)) throw new TimeoutError(`${ref.kind} ${ref.labelSelector ?? ""}`.trim(), what, deadline.budgetMs, undefined, r.watchError);
    },
    async mergePatch(obj) {
      await k.objects.patch(obj, undefined, undefined, FIELD_MANAGER, undefined, k8s.PatchStrategy.MergePatch).catch((e: unknown) => {
        throw new Error(`${describe(refOf(obj))}: patching it failed: ${apiMessage(e)}.`);
      });
    },
    async podLog(namespace, pod, container, tailLines) {
      // Logs are best effort: no node serving them (or no RBAC for pods/log) must not hide the failure itself.
      return k.config
        .makeApiClient(k8s.CoreV1Api)
        .readNamespacedPodLog({ name: pod, namespace, container, tailLines })
        .catch(() => undefined);
    },
  };
}
