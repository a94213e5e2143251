import type { ImageInputs } from "../../../schema/image";
import type { KubeObject } from "../../kube/objects";

/**
 * The Image's build cache on a real cluster (pure). kpack's webhook gives an
 * Image without a cache a 2G volume cache when the cluster has a default
 * StorageClass, and that field belongs to no field manager (mutating
 * admission runs after managedFields are computed), so server-side apply
 * neither owns nor removes it. kpack also refuses to shrink a volume cache or
 * to change its StorageClass. What follows: which transitions preview must
 * refuse, and the one write that clears a cache kpack defaulted before the
 * program's own cache takes its place.
 */
export type Cache = NonNullable<ImageInputs["cache"]>;

/** The volume kpack's webhook defaults a cache-less Image to (image_validation.go SetDefaults). */
export const KPACK_DEFAULT_CACHE_SIZE = "2G";

const SUFFIX: Record<string, number> = {
  "": 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A Kubernetes quantity in base units (bytes for sizes); NaN when it is not one. */
export function quantityValue(q: string): number {
  const m = /^[+]?([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:([KMGTPE]i|[numkMGTPE])|[eE]([+-]?[0-9]+))?$/.exec(q.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[3] !== undefined ? n * 10 ** Number(m[3]) : n * SUFFIX[m[2] ?? ""];
}

export interface CacheProblem {
  /** Path under the Image's inputs, e.g. "cache.volume.size". */
  path: string;
  message: string;
}

const keepOrSwitch = "or switch to a registry cache (cache: {registry: {tag: …}}), or give the Image a new name to start with a new cache";

/**
 * What kpack would refuse in a change of the Image's cache from `old` (the
 * previous inputs) to `next`, said at preview. No cache in `next` means kpack's
 * default: a 2G volume on a cluster with a default StorageClass.
 */
export function cacheTransitionProblems(old: Cache | undefined, next: Cache | undefined): CacheProblem[] {
  const was = old?.volume;
  if (!was) return [];
  const now = next?.volume;
  if (now) {
    const problems: CacheProblem[] = [];
    if (quantityValue(now.size) < quantityValue(was.size)) {
      problems.push({
        path: "cache.volume.size",
        message: `kpack cannot shrink a volume cache (it is ${was.size}, this asks for ${now.size}). Keep ${was.size} or more, ${keepOrSwitch}`,
      });
    }
    if ((now.storageClassName ?? "") !== (was.storageClassName ?? "")) {
      problems.push({
        path: "cache.volume.storageClassName",
        message: `kpack cannot move a volume cache to another StorageClass (it is ${was.storageClassName ?? "the default class"}, this asks for ${now.storageClassName ?? "the default class"}). Keep ${was.storageClassName ? `"${was.storageClassName}"` : "it unset"}, ${keepOrSwitch}`,
      });
    }
    return problems;
  }
  if (next?.registry) return [];
  // No cache: kpack's webhook puts its 2G default volume back, on the cluster's default StorageClass.
  if (quantityValue(was.size) > quantityValue(KPACK_DEFAULT_CACHE_SIZE) || was.storageClassName) {
    return [
      {
        path: "cache",
        message: `removing this volume cache (${was.size}${was.storageClassName ? ` on StorageClass ${was.storageClassName}` : ""}) gives the Image kpack's default, a ${KPACK_DEFAULT_CACHE_SIZE} volume on the default StorageClass, and kpack cannot shrink a volume cache or change its StorageClass. Keep cache.volume as it is, ${keepOrSwitch}`,
      },
    ];
  }
  return [];
}

/** The cache as the live object has it (kpack's default included). */
export function liveCache(live: KubeObject | undefined): Cache | undefined {
  return (live?.spec as { cache?: Cache } | undefined)?.cache;
}

/**
 * The JSON merge patch that replaces a cache of the other kind (a volume kpack
 * defaulted, which server-side apply cannot remove) with the program's, in one
 * write the webhook accepts; undefined when the apply alone will do.
 */
export function cacheReplacementPatch(
  live: KubeObject | undefined,
  desired: Cache | undefined,
): { spec: { cache: Record<string, unknown> } } | undefined {
  const have = liveCache(live);
  if (!desired || !have) return undefined;
  if (desired.registry && have.volume) return { spec: { cache: { volume: null, registry: desired.registry } } };
  if (desired.volume && have.registry) return { spec: { cache: { registry: null, volume: desired.volume } } };
  return undefined;
}

/**
 * Why the program's volume cache cannot replace the volume the live Image has
 * (kpack's default, which the previous inputs did not show), checked at `up`
 * before anything is written; undefined when it can.
 */
export function liveVolumeConflict(live: KubeObject | undefined, desired: Cache | undefined): string | undefined {
  const have = liveCache(live)?.volume;
  const want = desired?.volume;
  if (!have || !want) return undefined;
  const problems = cacheTransitionProblems({ volume: { size: String(have.size), storageClassName: have.storageClassName } }, desired);
  return problems.length
    ? `cache: the Image has a ${have.size} volume cache${have.storageClassName ? ` on StorageClass ${have.storageClassName}` : " (kpack's default)"}: ${problems.map((p) => p.message).join("; ")}`
    : undefined;
}
