import * as pulumi from "@pulumi/pulumi";
import { mapInput } from "./refs";

/**
 * Registry, git and blob credentials of managedServiceAccount are secret in
 * state and in the CLI even when a program gives them as plain strings.
 */

/** Fields of a credential entry that are secret (registry, url and host are not). */
const SECRET_FIELDS = ["username", "password", "sshPrivateKey", "bearer", "authorization"];
const CREDENTIAL_LISTS = ["registryCredentials", "gitCredentials", "blobCredentials"];

function secretFields(entry: unknown): unknown {
  if (!entry || typeof entry !== "object" || Array.isArray(entry)) return entry;
  const out: Record<string, unknown> = { ...(entry as Record<string, unknown>) };
  for (const k of SECRET_FIELDS) if (out[k] !== undefined) out[k] = pulumi.secret(out[k] as pulumi.Input<string>);
  return out;
}

/**
 * The managedServiceAccount input with every credential field marked secret,
 * so plain strings in a program are encrypted in state and hidden in the CLI
 * too. A part given as an Output becomes secret as a whole.
 */
export function protectCredentials(msa: unknown): unknown {
  if (msa === undefined) return undefined;
  return mapInput(msa as pulumi.Input<unknown>, (m) => {
    if (!m || typeof m !== "object" || Array.isArray(m)) return m;
    const out: Record<string, unknown> = { ...(m as Record<string, unknown>) };
    if (out.dockerConfigJson !== undefined) out.dockerConfigJson = pulumi.secret(out.dockerConfigJson as pulumi.Input<string>);
    for (const list of CREDENTIAL_LISTS) {
      if (out[list] === undefined) continue;
      out[list] = mapInput(out[list] as pulumi.Input<unknown>, (entries) =>
        Array.isArray(entries) ? entries.map((e) => mapInput(e as pulumi.Input<unknown>, secretFields)) : entries,
      );
    }
    return out;
  });
}
