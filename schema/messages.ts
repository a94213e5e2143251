import type { z } from "zod";
import { defOf, fieldsOf, schemaAt, unwrap } from "./walk";

/**
 * The words of check() failures for zod issues a field's own message does not
 * cover: a wrong type, a missing field, a field the kind does not have, a value
 * outside a list. Each says what the field takes, so the user knows the fix;
 * none is one of zod's default wordings ("Invalid input: expected string,
 * received object"). Values are described, never quoted: a wrong-typed value
 * may be a credential.
 */

/** What a value is, without quoting it. */
export function describeValue(v: unknown): string {
  if (v === undefined) return "missing";
  if (v === null) return "null";
  if (Array.isArray(v)) return v.length ? "a list" : "an empty list";
  switch (typeof v) {
    case "string":
      return v === "" ? "an empty string" : "a string";
    case "number":
      return Number.isInteger(v) ? "a whole number" : "a number with a fraction";
    case "boolean":
      return String(v);
    case "object": {
      const keys = Object.keys(v);
      if (!keys.length) return "an empty object";
      return `an object {${keys.slice(0, 6).join(", ")}${keys.length > 6 ? ", …" : ""}}`;
    }
    default:
      return `a ${typeof v}`;
  }
}

const quote = (v: unknown) => (typeof v === "string" ? `"${v}"` : String(v));

/** `{a, b?}`: an object's fields, optional ones marked. */
function objectForm(s: z.ZodType): string {
  const fields = fieldsOf(s);
  return `{${fields.map((f) => `${f.key}${f.optional ? "?" : ""}`).join(", ")}}`;
}

/** What a value of a schema must be, in words: "a string", "a list of objects {name, value?}". */
export function describeForm(s: z.ZodType | undefined, plural = false): string {
  if (!s) return plural ? "values" : "a value";
  const d = defOf(unwrap(s));
  const one = (single: string, many: string) => (plural ? many : single);
  switch (d.type) {
    case "string":
      return one("a string", "strings");
    case "number":
      return one("a number", "numbers");
    case "int":
      return one("a whole number", "whole numbers");
    case "boolean":
      return "true or false";
    case "literal":
      return (d.values ?? []).map(quote).join(" or ");
    case "enum":
      return `one of ${Object.values(d.entries ?? {})
        .map(quote)
        .join(", ")}`;
    case "object":
      return `${one("an object", "objects")} ${objectForm(s)}`;
    case "array":
      return `${one("a list", "lists")} of ${describeForm(d.element, true)}`;
    case "record":
      return `${one("an object", "objects")} of names to ${describeForm(d.valueType, true)}`;
    case "union":
      return (d.options ?? []).map((o) => describeForm(o, plural)).join(" or ");
    case "never":
    case "undefined":
      return "left out";
    default:
      return plural ? "values" : "a value";
  }
}

/** How zod names a type in an invalid_type issue, in words. */
function expectedWords(expected: string, inst: z.ZodType | undefined): string {
  if (inst && ["object", "array", "record", "union", "enum", "literal"].includes(defOf(unwrap(inst)).type)) return describeForm(inst);
  switch (expected) {
    case "int":
      return "a whole number";
    case "number":
      return "a number";
    case "string":
      return "a string";
    case "boolean":
      return "true or false";
    case "array":
      return "a list";
    case "object":
      return "an object";
    default:
      return describeForm(inst);
  }
}

interface RawIssue {
  code?: string;
  input?: unknown;
  inst?: unknown;
  expected?: string;
  origin?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
  exact?: boolean;
  format?: string;
  divisor?: number;
  keys?: string[];
  values?: unknown[];
  discriminator?: string;
  options?: unknown[];
  /** The key's own issues, of an invalid_key issue. */
  issues?: Array<{ message?: string }>;
}

function sizeWords(iss: RawIssue, bound: number | bigint, small: boolean): string {
  const n = Number(bound);
  const at = iss.exact ? "exactly" : small ? (iss.inclusive === false ? "more than" : "at least") : iss.inclusive === false ? "less than" : "at most";
  switch (iss.origin) {
    case "string":
      return small && n === 1 && !iss.exact ? "must not be empty" : `must be ${at} ${n} characters long`;
    case "array":
    case "set":
      return small && n === 1 && !iss.exact ? "must have at least one entry" : `must have ${at} ${n} entries`;
    default:
      return `must be ${at} ${n}`;
  }
}

/**
 * The per-parse error map of check(): a message for every issue whose schema
 * gives none of its own. Used as `schema.safeParse(v, { error: issueMessage })`.
 */
export function issueMessage(issue: unknown): string {
  const iss = issue as RawIssue;
  const inst = iss.inst as z.ZodType | undefined;
  switch (iss.code) {
    case "invalid_type": {
      const want = expectedWords(iss.expected ?? "", inst);
      if (iss.expected === "never" || iss.expected === "undefined") return "is not taken here. Leave it out";
      if (iss.input === undefined) return `is required: give ${want}`;
      if (iss.expected === "int" && typeof iss.input === "number") return `must be a whole number, but is ${describeValue(iss.input)}`;
      return `must be ${want}, but is ${describeValue(iss.input)}`;
    }
    case "too_small":
      return sizeWords(iss, iss.minimum ?? 0, true);
    case "too_big":
      return sizeWords(iss, iss.maximum ?? 0, false);
    case "invalid_format":
      return `is not a valid ${iss.format ?? "value"}. Give a value of that form`;
    case "not_multiple_of":
      return `must be a multiple of ${iss.divisor}`;
    case "unrecognized_keys": {
      const keys = iss.keys ?? [];
      return `${keys.length > 1 ? "are not fields" : "is not a field"} here: ${keys.join(", ")}. ${inst ? `It takes ${objectForm(inst)}. ` : ""}Remove or rename ${keys.length > 1 ? "them" : "it"}`;
    }
    case "invalid_union":
      if (iss.discriminator) return `must have ${iss.discriminator} ${(iss.options ?? []).map(quote).join(" or ")}`;
      return `must be ${describeForm(inst)}, but is ${describeValue(iss.input)}`;
    case "invalid_value": {
      const got = typeof iss.input === "string" && iss.input.length <= 40 && !/\s/.test(iss.input) ? quote(iss.input) : describeValue(iss.input);
      return `must be ${(iss.values ?? []).map(quote).join(" or ")}, but is ${got}`;
    }
    case "invalid_key": {
      // The key schema's message (zod words it, with this map, before the record's issue).
      const own = iss.issues?.[0]?.message;
      return own ?? "has a key that is not valid here. Use names of letters, digits, '-', '_' and '.'";
    }
    case "invalid_element":
      return "has an entry that is not valid here";
    default:
      return "is not valid here. See the field's documentation for what it takes";
  }
}

/** Edit distance, for suggesting the field a typo meant. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length];
}

/** The field a misspelt key most likely meant, if one is close. */
export function closestField(key: string, fields: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const same = fields.find((f) => f.toLowerCase() === lower);
  if (same) return same;
  let best: { f: string; d: number } | undefined;
  for (const f of fields) {
    const dist = distance(lower, f.toLowerCase());
    if (dist <= Math.max(1, Math.floor(f.length / 4)) && (!best || dist < best.d)) best = { f, d: dist };
  }
  return best?.f;
}

/** The failure for a key an object does not take: `where` is "an input of Image" or "a field of source.git". */
export function unknownFieldMessage(key: string, where: string, fields: readonly string[]): string {
  const near = closestField(key, fields);
  if (near) return `is not ${where}: did you mean ${near}? Rename it`;
  const list = fields.length <= 10 ? ` (it takes ${fields.join(", ")})` : "";
  return `is not ${where}${list}. Remove it, or give the field you meant`;
}

interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  keys?: string[];
  errors?: Issue[][];
}

/**
 * zod's issues as check() reports them, each at the path of the field it is
 * about: a union none of whose options fit reports the option the value was
 * meant for (the only one it got inside of), and each unknown key is its own
 * failure, at its own path, with the field it probably meant.
 */
export function fieldIssues(
  schema: z.ZodType,
  issues: readonly unknown[],
  kind: string,
  /** Top-level keys a program never gives (left out of suggestions), and what to say of top-level keys the kind lacks for a reason. */
  topLevel: { hidden?: readonly string[]; absent?: Readonly<Record<string, string>> } = {},
): Array<{ path: PropertyKey[]; message: string }> {
  const out: Array<{ path: PropertyKey[]; message: string }> = [];
  const visit = (list: readonly Issue[], prefix: PropertyKey[]) => {
    for (const issue of list) {
      const path = [...prefix, ...issue.path];
      if (issue.code === "invalid_union" && issue.errors) {
        const inside = issue.errors.filter((branch) => branch.length > 0 && branch.every((i) => i.path.length > 0));
        if (inside.length === 1) {
          visit(inside[0], path);
          continue;
        }
      }
      if (issue.code === "unrecognized_keys" && issue.keys) {
        const at = schemaAt(schema, path);
        const fields = (at ? fieldsOf(at) : []).map((f) => f.key).filter((k) => !(path.length === 0 && topLevel.hidden?.includes(k)));
        const where = path.length === 0 ? `an input of ${kind}` : `a field of ${formatPath(path)}`;
        for (const key of issue.keys) {
          const note = path.length === 0 ? topLevel.absent?.[key] : undefined;
          out.push({ path: [...path, key], message: note ? `is not ${where}: ${note}` : unknownFieldMessage(key, where, fields) });
        }
        continue;
      }
      out.push({ path, message: issue.message });
    }
  };
  visit(issues as Issue[], []);
  return out;
}

/** A zod issue path as users write it: `source.blob.url`, `order[0].group`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i ? "." : ""}${String(p)}`)).join("") || "(args)";
}
