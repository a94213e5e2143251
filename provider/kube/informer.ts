import * as k8s from "@kubernetes/client-node";
import type { Kube } from "./client";
import type { CollectionRef, KubeObject } from "./objects";

/**
 * One list+watch per (cluster, kind, namespace) in this process, shared by
 * every wait that reads that kind there: an informer, as client-go has. With
 * N Images in one namespace, `pulumi up` holds one Image watch and one Build
 * watch instead of N of each. Module state is shared by every resource of a
 * program: the engine runs all dynamic resources in one provider process,
 * which loads pulumi-kpack once (Node's module cache).
 *
 * A waiter says which resourceVersion it must have seen (the one its apply or
 * delete returned). Until the informer has seen that version, an object
 * missing from the cache may just not have arrived yet, so the waiter is not
 * asked. resourceVersions are compared as numbers: they are etcd revisions on
 * every etcd-backed apiserver (a non-numeric one turns the gate off).
 *
 * The watch resumes from the last resourceVersion seen when the server closes
 * it, and relists when the server says that version is gone (410). It stops a
 * few seconds after its last waiter left, so a command that waits for nothing
 * (a no-change preview or up) starts none and makes no request.
 */

/** How long a watch stays open without waiters: resources that start one after another reuse it. */
const LINGER_MS = 5_000;

interface Waiter {
  /** Object key (`namespace/name`) it reads, or undefined for a predicate over the whole collection. */
  key?: string;
  minRv?: bigint;
  /** Set once the informer has seen minRv: from then on only events about its object concern it. */
  caughtUp?: boolean;
  check(items: ReadonlyMap<string, KubeObject>): boolean;
}

export const objectKey = (o: { metadata?: { name?: string; namespace?: string } }): string =>
  `${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;

function rvOf(v: string | undefined): bigint | undefined {
  if (!v || !/^\d+$/.test(v)) return undefined;
  return BigInt(v);
}

class Informer {
  private readonly items = new Map<string, KubeObject>();
  private rv = -1n;
  private synced = false;
  private readonly waiters = new Set<Waiter>();
  private running = false;
  private controller?: AbortController;
  private lingerTimer?: NodeJS.Timeout;
  /** The last reason a list or watch failed, for a timeout's message (a 403 explains a wait that never ends). */
  lastError?: string;

  constructor(
    private readonly k: Kube,
    private readonly ref: CollectionRef,
    private readonly path: () => Promise<string>,
    private readonly onStop: () => void,
  ) {}

  add(w: Waiter): void {
    this.waiters.add(w);
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    if (!this.running) this.start();
    else this.evaluate(w);
  }

  remove(w: Waiter): void {
    this.waiters.delete(w);
    if (this.waiters.size === 0 && !this.lingerTimer) {
      this.lingerTimer = setTimeout(() => this.stop(), LINGER_MS);
      this.lingerTimer.unref();
    }
  }

  /** See closeWatches(). */
  closeWatch(): void {
    this.controller?.abort();
  }

  private stop(): void {
    if (this.waiters.size) return;
    this.running = false;
    this.synced = false;
    this.controller?.abort();
    this.onStop();
  }

  private evaluate(w: Waiter): void {
    if (!this.synced || (w.minRv !== undefined && this.rv < w.minRv)) return;
    w.caughtUp = true;
    if (w.check(this.items)) this.waiters.delete(w);
  }

  /**
   * After an event about `key` (none: a list or bookmark): its waiters, those
   * of the whole collection, and those that have just caught up. Not every
   * waiter on every event: with 200 Images that would be 200 predicates per event.
   */
  private notify(key?: string): void {
    for (const w of [...this.waiters]) {
      if (key === undefined || w.key === undefined || w.key === key || (!w.caughtUp && w.minRv !== undefined && w.minRv <= this.rv)) this.evaluate(w);
    }
  }

  private start(): void {
    this.running = true;
    void this.run();
  }

  private async run(): Promise<void> {
    let relist = true;
    while (this.running) {
      const began = Date.now();
      try {
        if (relist) {
          const l = await this.k.objects.list(this.ref.apiVersion, this.ref.kind, this.ref.namespace);
          this.items.clear();
          for (const o of l.items as KubeObject[]) this.items.set(objectKey(o), o);
          this.rv = rvOf(l.metadata?.resourceVersion) ?? this.rv;
          this.synced = true;
          this.lastError = undefined;
          relist = false;
          if (!this.running) return;
          this.notify();
        }
        relist = await this.watchOnce();
      } catch (e) {
        this.lastError = errorText(e);
        relist = true;
      }
      // A watch or list the server refuses at once would otherwise spin: pace the retries.
      const since = Date.now() - began;
      if (this.running && since < 1000) await new Promise((r) => setTimeout(r, 1000 - since));
    }
  }

  /** Watches from the last resourceVersion until the server closes the stream; true when it must relist (410 Gone). */
  private async watchOnce(): Promise<boolean> {
    const path = await this.path();
    let gone = false;
    await new Promise<void>((resolve) => {
      const watch = new k8s.Watch(this.k.config);
      watch
        .watch(
          path,
          { resourceVersion: String(this.rv), allowWatchBookmarks: true },
          (phase: string, obj: KubeObject) => {
            if (phase === "ERROR") {
              const status = obj as unknown as { code?: number; message?: string };
              if (status.code === 410) gone = true;
              else this.lastError = status.message;
              return;
            }
            this.rv = rvOf(obj.metadata?.resourceVersion) ?? this.rv;
            if (phase === "BOOKMARK") return this.notify(undefined);
            const key = objectKey(obj);
            if (phase === "DELETED") this.items.delete(key);
            else this.items.set(key, obj);
            this.notify(key);
          },
          (err: unknown) => {
            if (err && this.running) {
              this.lastError = errorText(err);
              if (/\b410\b|Gone|too old/i.test(this.lastError)) gone = true;
            }
            resolve();
          },
        )
        .then(
          (c) => {
            this.controller = c;
            if (!this.running) c.abort();
          },
          (err: unknown) => {
            this.lastError = errorText(err);
            if (/\b410\b|Gone|too old/i.test(this.lastError)) gone = true;
            resolve();
          },
        );
    });
    return gone;
  }
}

/** What a list or watch failed with, for lastError: the error's message. */
function errorText(e: unknown): string {
  return (e as Error)?.message ?? String(e);
}

const informers = new Map<Kube, Map<string, Informer>>();

/** Closes every informer's watch, as the apiserver does at its watch timeout or a dropped connection would. For tests of the resume. */
export function closeWatches(): void {
  for (const byKey of informers.values()) for (const inf of byKey.values()) inf.closeWatch();
}

function informerFor(k: Kube, ref: CollectionRef, path: () => Promise<string>): Informer {
  let byKey = informers.get(k);
  if (!byKey) informers.set(k, (byKey = new Map<string, Informer>()));
  const key = `${ref.apiVersion}/${ref.kind}/${ref.namespace ?? ""}`;
  let inf = byKey.get(key);
  if (!inf) {
    inf = new Informer(k, { apiVersion: ref.apiVersion, kind: ref.kind, namespace: ref.namespace }, path, () => {
      byKey.delete(key);
      if (!byKey.size) informers.delete(k);
    });
    byKey.set(key, inf);
  }
  return inf;
}

/**
 * Waits over the shared informer of ref's kind and namespace until done()
 * holds: for one object (`name`: done sees it, or undefined once it is gone),
 * or for the whole collection. `after`: a resourceVersion the cache must have
 * reached first. Resolves "timeout" at the deadline, with the last watch error.
 */
export function waitShared<T>(
  k: Kube,
  ref: CollectionRef & { name?: string },
  path: () => Promise<string>,
  done: (items: ReadonlyMap<string, KubeObject>) => T | undefined,
  timeoutMs: number,
  after?: string,
): Promise<{ result: T } | { timeout: true; watchError?: string }> {
  const inf = informerFor(k, ref, path);
  return new Promise((resolve) => {
    const w: Waiter = {
      key: ref.name !== undefined ? `${ref.namespace ?? ""}/${ref.name}` : undefined,
      minRv: rvOf(after),
      check(items) {
        const r = done(items);
        if (r === undefined) return false;
        clearTimeout(timer);
        inf.remove(w);
        resolve({ result: r });
        return true;
      },
    };
    const timer = setTimeout(
      () => {
        inf.remove(w);
        resolve({ timeout: true, watchError: inf.lastError });
      },
      Math.max(0, timeoutMs),
    );
    inf.add(w);
  });
}
