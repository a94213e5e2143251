import { UNKNOWN } from "../schema/common";

/** Plain JSON-ish values as the engine passes them to a dynamic provider. */
export type Props = Record<string, unknown>;

/** True when a value, or any value inside it, is not yet known (preview of a computed input). */
export function containsUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (v && typeof v === "object") return Object.values(v).some(containsUnknown);
  return false;
}

/** The value at a path, and whether the walk crossed an unknown. */
export function unknownAlong(root: unknown, path: ReadonlyArray<PropertyKey>): boolean {
  let cur: unknown = root;
  for (const key of path) {
    if (cur === UNKNOWN) return true;
    if (cur === null || typeof cur !== "object") return false;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur === UNKNOWN;
}

/** Structural equality of JSON values; key order does not matter. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ak = Object.keys(a).filter((k) => (a as Props)[k] !== undefined);
  const bk = Object.keys(b).filter((k) => (b as Props)[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => deepEqual((a as Props)[k], (b as Props)[k]));
}

/** Drops undefined members, recursively, so manifests carry only what is set. */
export function compact<T>(v: T): T {
  if (Array.isArray(v)) return v.map(compact) as T;
  if (v && typeof v === "object") {
    const out: Props = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = compact(x);
    return out as T;
  }
  return v;
}
