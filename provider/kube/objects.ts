import * as k8s from "@kubernetes/client-node";
import { Deadline, TimeoutError } from "../wait-policy";
import type { Kube } from "./client";

/** The field manager of every server-side apply the provider makes. */
export const FIELD_MANAGER = "pulumi-kpack";
export const MANAGED_BY = { "app.kubernetes.io/managed-by": "pulumi-kpack" } as const;

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
      const parsed = typeof body === "string" ? JSON.parse(body) : body;
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

/** Reads an object; undefined when it does not exist. */
export async function get(k: Kube, ref: ObjectRef): Promise<KubeObject | undefined> {
  try {
    return await k.objects.read<KubeObject>(header(ref));
  } catch (e) {
    if (httpStatus(e) === 404) return undefined;
    // Keep the HTTP status on the error: callers tell "forbidden" from other failures.
    throw Object.assign(new Error(`${describe(ref)}: reading it from ${k.server} failed: ${apiMessage(e)}.`), { code: httpStatus(e) });
  }
}

/**
 * Server-side apply with the provider's field manager. force: the provider owns
 * the fields it sets; a conflict with kubectl edits resolves in favour of the program.
 */
export async function apply(k: Kube, obj: KubeObject): Promise<KubeObject> {
  const ref = refOf(obj);
  try {
    return (await k.objects.patch(obj, undefined, undefined, FIELD_MANAGER, true, k8s.PatchStrategy.ServerSideApply)) as KubeObject;
  } catch (e) {
    const status = httpStatus(e);
    const hint =
      status === 403 ? " The kubeconfig's user lacks permission: grant it create/patch on this kind." :
      status === 404 ? ` The API ${ref.apiVersion} is not served: is kpack installed in this cluster?` : "";
    throw new Error(`${describe(ref)}: applying it failed: ${apiMessage(e)}.${hint}`);
  }
}

/** Deletes an object (foreground) and waits until the apiserver no longer has it. */
export async function deleteAndWait(k: Kube, ref: ObjectRef, timeoutMs: number): Promise<void> {
  try {
    await k.objects.delete(header(ref), undefined, undefined, undefined, undefined, "Foreground");
  } catch (e) {
    if (httpStatus(e) === 404) return;
    throw new Error(`${describe(ref)}: deleting it failed: ${apiMessage(e)}.`);
  }
  await waitUntil(k, ref, (o) => o === undefined, timeoutMs, "to be deleted");
}

/** The served resource of a kind (plural name, scope), from discovery (cached by the client). */
export async function servedResource(k: Kube, apiVersion: string, kind: string): Promise<k8s.V1APIResource | undefined> {
  // KubernetesObjectApi keeps its discovery lookup protected; reuse it (and its
  // cache) rather than repeating discovery here.
  const discovery = k.objects as unknown as { resource(apiVersion: string, kind: string): Promise<k8s.V1APIResource | undefined> };
  return discovery.resource(apiVersion, kind);
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
    const list = await k.objects.list(ref.apiVersion, ref.kind, ref.namespace, undefined, undefined, undefined, ref.fieldSelector, ref.labelSelector);
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
          { fieldSelector: ref.fieldSelector, labelSelector: ref.labelSelector, resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: true },
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
        .then((c) => {
          controller = c;
          if (settled) c.abort();
        }, (err: unknown) => {
          watchError = apiMessage(err);
          finish("closed");
        });
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
  const r = await waitForCollection(k, { ...ref, fieldSelector: `metadata.name=${ref.name}` }, (items) => {
    last = items.values().next().value;
    return done(last);
  }, timeoutMs, signal);
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
  /** Waits over a watch until done(object) holds (undefined once it is gone); throws TimeoutError at the deadline. */
  waitUntil(ref: ObjectRef, done: (o: KubeObject | undefined) => boolean, deadline: Deadline, what: string): Promise<KubeObject | undefined>;
  /** A JSON merge patch with the provider's field manager. */
  mergePatch(obj: KubeObject): Promise<void>;
  /** The last `tailLines` lines of a pod container's log (the apiserver's pod log endpoint); undefined when it cannot be read. */
  podLog?(namespace: string, pod: string, container: string, tailLines: number): Promise<string | undefined>;
}

/** ClusterIO over a real cluster. */
export function clusterIO(k: Kube): ClusterIO {
  return {
    get: (ref) => get(k, ref),
    async list(ref) {
      const l = await k.objects.list(ref.apiVersion, ref.kind, ref.namespace, undefined, undefined, undefined, ref.fieldSelector, ref.labelSelector);
      return l.items as KubeObject[];
    },
    waitUntil: (ref, done, deadline, what) => waitUntil(k, ref, done, deadline.remainingMs(), what),
    async mergePatch(obj) {
      await k.objects.patch(obj, undefined, undefined, FIELD_MANAGER, undefined, k8s.PatchStrategy.MergePatch).catch((e: unknown) => {
        throw new Error(`${describe(refOf(obj))}: patching it failed: ${apiMessage(e)}.`);
      });
    },
    async podLog(namespace, pod, container, tailLines) {
      // Logs are best effort: no node serving them (or no RBAC for pods/log) must not hide the failure itself.
      return k.config.makeApiClient(k8s.CoreV1Api).readNamespacedPodLog({ name: pod, namespace, container, tailLines }).catch(() => undefined);
    },
  };
}
