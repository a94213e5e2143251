import type { z } from "zod";

/**
 * Reading a zod schema's structure: what a value at some place must look like,
 * which fields an object takes, and every field path of a kind. check() uses it
 * to say what a field takes and to suggest the field a typo meant; the unit
 * tests use it to reach every field of every kind.
 */

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  values?: unknown[];
  entries?: Record<string, unknown>;
}

export function defOf(s: unknown): Def {
  return (s as { _zod?: { def?: Def } })?._zod?.def ?? { type: "unknown" };
}

const WRAPPERS = new Set(["optional", "nullable", "default", "prefault", "readonly", "catch", "nonoptional"]);

/** The schema without optional/default/pipe wrappers: what a present value must be. */
export function unwrap(s: z.ZodType): z.ZodType {
  let cur = s;
  for (let i = 0; i < 20; i++) {
    const d = defOf(cur);
    if (WRAPPERS.has(d.type) && d.innerType) cur = d.innerType;
    else if (d.type === "pipe" && d.in) cur = d.in;
    else break;
  }
  return cur;
}

/** True when the field may be left out. */
export function isOptional(s: z.ZodType): boolean {
  return (s as { _zod?: { optin?: string } })._zod?.optin === "optional";
}

/** A field that only says "not here" (z.never / z.undefined): not one a user should give. */
function isForbidden(s: z.ZodType): boolean {
  const t = defOf(unwrap(s)).type;
  return t === "never" || t === "undefined";
}

/** The fields an object schema takes (for a union: those of every option), without the forbidden ones. */
export function fieldsOf(s: z.ZodType): Array<{ key: string; optional: boolean }> {
  const d = defOf(unwrap(s));
  if (d.type === "object" && d.shape) {
    return Object.entries(d.shape)
      .filter(([, v]) => !isForbidden(v))
      .map(([key, v]) => ({ key, optional: isOptional(v) }));
  }
  if (d.type === "union" && d.options) {
    const seen = new Map<string, boolean>();
    for (const o of d.options) for (const f of fieldsOf(o)) seen.set(f.key, (seen.get(f.key) ?? true) && f.optional);
    return [...seen].map(([key, optional]) => ({ key, optional }));
  }
  return [];
}

/** The schema of a child: an object's field, an array's element, a record's value, a union option's field. */
export function childOf(s: z.ZodType, key: PropertyKey): z.ZodType | undefined {
  const d = defOf(unwrap(s));
  switch (d.type) {
    case "object":
      return d.shape?.[String(key)];
    case "array":
      return d.element;
    case "record":
      return d.valueType;
    case "union":
      for (const o of d.options ?? []) {
        const c = childOf(o, key);
        if (c && !isForbidden(c)) return c;
      }
      return undefined;
    default:
      return undefined;
  }
}

/** The schema at a path, or undefined when the path leaves the schema. */
export function schemaAt(s: z.ZodType, path: readonly PropertyKey[]): z.ZodType | undefined {
  let cur: z.ZodType | undefined = s;
  for (const key of path) {
    if (!cur) return undefined;
    cur = childOf(cur, key);
  }
  return cur;
}

/**
 * Every field path of a schema, depth first: object fields (of every union
 * option), array elements as index 0, record values under the key "key".
 */
export function fieldPaths(s: z.ZodType, prefix: PropertyKey[] = [], depth = 0): PropertyKey[][] {
  if (depth > 8) return [];
  const d = defOf(unwrap(s));
  const out: PropertyKey[][] = [];
  const visit = (key: PropertyKey, child: z.ZodType) => {
    const p = [...prefix, key];
    out.push(p, ...fieldPaths(child, p, depth + 1));
  };
  if (d.type === "object" && d.shape) {
    for (const [k, v] of Object.entries(d.shape)) if (!isForbidden(v)) visit(k, v);
  } else if (d.type === "array" && d.element) {
    visit(0, d.element);
  } else if (d.type === "record" && d.valueType) {
    visit("key", d.valueType);
  } else if (d.type === "union" && d.options) {
    const seen = new Set<string>();
    for (const o of d.options) {
      for (const p of fieldPaths(o, prefix, depth)) {
        const k = JSON.stringify(p);
        if (!seen.has(k)) {
          seen.add(k);
          out.push(p);
        }
      }
    }
  }
  return out;
}
