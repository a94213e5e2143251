import { z } from "zod";
import { namespaceName, objectName, required, UNKNOWN } from "./common";

/**
 * The build identity pulumi-kpack can manage for a kpack object: a
 * ServiceAccount in the object's namespace (or, for cluster-scoped kinds, in
 * the namespace given), one Secret per credential in the form kpack reads
 * (kpack docs/secrets.md), and a Role + RoleBinding that grant nothing (the
 * build pod needs no Kubernetes API access; see provider/access).
 *
 * Field names follow kpack's vocabulary: `registry` is what kpack's
 * `kpack.io/docker` annotation holds, `url` the `kpack.io/git` one, `host`
 * the `kpack.io/blob` one. The SDK marks every credential field secret
 * (pulumi.secret) whether or not the program did.
 */

/** Longest managed ServiceAccount name: Secret names add up to 18 characters to it. */
export const MAX_SERVICE_ACCOUNT_NAME = 230;

const credential = (what: string) => z.string(required(what)).min(1, "must not be empty");
const optionalCredential = z.string().min(1, "must not be empty").optional();

/** A registry login: a `kubernetes.io/basic-auth` Secret annotated `kpack.io/docker: <registry>`. */
export const registryCredentialSchema = z
  .object({
    /**
     * The registry as image references name it, e.g. `registry.example.com` or `127.0.0.1:5000`;
     * Docker Hub: `https://index.docker.io/v1/`.
     */
    registry: z
      .string(required("the registry host, e.g. registry.example.com"))
      .min(1, "must not be empty: give the registry host, e.g. registry.example.com")
      .regex(/^\S+$/, "must be a registry host such as registry.example.com (no spaces)"),
    /** User name for the registry. */
    username: credential("the registry user name"),
    /** Password or access token. */
    password: credential("the registry password or access token"),
  })
  .strict();

/**
 * A git login: `username` + `password` (HTTPS, a `kubernetes.io/basic-auth`
 * Secret) or `sshPrivateKey` (SSH, a `kubernetes.io/ssh-auth` Secret), both
 * annotated `kpack.io/git: <url>`.
 */
export const gitCredentialSchema = z
  .object({
    /** What kpack matches repository URLs against: `https://github.com` for HTTPS, `git@github.com` for SSH. */
    url: z
      .string(required("the git server, e.g. https://github.com or git@github.com"))
      .min(1, "must not be empty: give the git server, e.g. https://github.com"),
    /** User name (HTTPS), with password. */
    username: optionalCredential,
    /** Password or access token (HTTPS). */
    password: optionalCredential,
    /** PEM private key (SSH). */
    sshPrivateKey: optionalCredential,
    /** known_hosts lines for the server (SSH), used when kpack checks host keys. */
    knownHosts: z.string().min(1, "must not be empty").optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const https = v.username !== undefined || v.password !== undefined;
    const ssh = v.sshPrivateKey !== undefined;
    if (https && ssh) {
      ctx.addIssue({
        code: "custom",
        path: ["sshPrivateKey"],
        message: "must not be given together with username/password: one entry is either an HTTPS login or an SSH key. Split it into two entries",
      });
    } else if (!https && !ssh) {
      ctx.addIssue({ code: "custom", path: [], message: "must give username and password (HTTPS) or sshPrivateKey (SSH)" });
    } else if (https) {
      if (v.username === undefined)
        ctx.addIssue({ code: "custom", path: ["username"], message: "is required with password: give the git user name" });
      if (v.password === undefined)
        ctx.addIssue({ code: "custom", path: ["password"], message: "is required with username: give the password or access token" });
      if (v.knownHosts !== undefined)
        ctx.addIssue({ code: "custom", path: ["knownHosts"], message: "applies to SSH keys only. Remove it, or use sshPrivateKey" });
      if (typeof v.url === "string" && v.url !== UNKNOWN && !/^https?:\/\//.test(v.url)) {
        ctx.addIssue({
          code: "custom",
          path: ["url"],
          message: "must start with https:// (or http://) for a username/password login, e.g. https://github.com; for SSH give sshPrivateKey",
        });
      }
    } else if (typeof v.url === "string" && /^https?:\/\//.test(v.url)) {
      ctx.addIssue({
        code: "custom",
        path: ["url"],
        message: "must be an SSH location such as git@github.com for an SSH key (https:// URLs take username and password)",
      });
    }
  });

/**
 * Credentials for source blobs (used when the Image's `source.blob.auth` is
 * "secret"): exactly one of `username` + `password`, `bearer` or
 * `authorization`, in a Secret annotated `kpack.io/blob: <host>`.
 */
export const blobCredentialSchema = z
  .object({
    /** Host name of the blob URLs, e.g. `storage.example.com` (kpack compares it with the URL's host name: no scheme, port or path). */
    host: z
      .string(required("the host name of the blob URLs, e.g. storage.example.com"))
      .min(1, "must not be empty: give the host name of the blob URLs")
      .regex(
        /^[^\s/:@]+$/,
        "must be a bare host name such as storage.example.com (no scheme, port or path: kpack compares it with the URL's host name)",
      ),
    /** User name (basic auth), with password. */
    username: optionalCredential,
    /** Password (basic auth), with username. */
    password: optionalCredential,
    /** An OAuth2 bearer token (sent as `Authorization: Bearer <token>`). */
    bearer: optionalCredential,
    /** A complete Authorization header value. */
    authorization: optionalCredential,
  })
  .strict()
  .superRefine((v, ctx) => {
    const forms = [
      v.username !== undefined || v.password !== undefined ? "username/password" : undefined,
      v.bearer !== undefined ? "bearer" : undefined,
      v.authorization !== undefined ? "authorization" : undefined,
    ].filter((f): f is string => f !== undefined);
    if (forms.length === 0) ctx.addIssue({ code: "custom", path: [], message: "must give one of username and password, bearer, or authorization" });
    else if (forms.length > 1)
      ctx.addIssue({ code: "custom", path: [], message: `gives ${forms.join(" and ")}, but kpack allows only one per host. Keep one` });
    else if (forms[0] === "username/password") {
      if (v.username === undefined) ctx.addIssue({ code: "custom", path: ["username"], message: "is required with password" });
      if (v.password === undefined) ctx.addIssue({ code: "custom", path: ["password"], message: "is required with username" });
    }
  });

/** Why a docker config.json is unusable, or undefined. Never quotes the content (it holds credentials). */
export function dockerConfigJsonProblem(text: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return "must be the JSON of a docker config.json, but is not valid JSON";
  }
  const auths = (parsed as { auths?: unknown } | null)?.auths;
  if (!auths || typeof auths !== "object" || Array.isArray(auths))
    return 'must be a docker config.json with an "auths" object, e.g. {"auths": {"registry.example.com": {"auth": "<base64 user:password>"}}}';
  return undefined;
}

const dockerConfigJson = z
  .string()
  .min(1, "must not be empty")
  .superRefine((v, ctx) => {
    if (v === UNKNOWN) return;
    const problem = dockerConfigJsonProblem(v);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/** Each registry, git location or blob host at most once: each becomes one Secret. */
function unique(list: string, key: (e: Record<string, unknown>) => string | undefined, what: string) {
  return (v: Record<string, unknown>, ctx: z.RefinementCtx) => {
    const entries = v[list];
    if (!Array.isArray(entries)) return;
    const seen = new Map<string, number>();
    entries.forEach((e, i) => {
      const k = e && typeof e === "object" ? key(e as Record<string, unknown>) : undefined;
      if (k === undefined || k.includes(UNKNOWN)) return;
      const first = seen.get(k);
      if (first !== undefined)
        ctx.addIssue({ code: "custom", path: [list, i], message: `repeats the ${what} of ${list}[${first}]. Give each ${what} once` });
      else seen.set(k, i);
    });
  };
}

const str = (x: unknown) => (typeof x === "string" ? x : undefined);
const checkRegistries = unique("registryCredentials", (e) => str(e.registry), "registry");
// An HTTPS and an SSH login for the same server are two different Secrets.
const checkGit = unique(
  "gitCredentials",
  (e) => (str(e.url) === undefined ? undefined : `${e.sshPrivateKey !== undefined ? "ssh" : "basic"} ${String(e.url)}`),
  "url",
);
const checkBlobs = unique("blobCredentials", (e) => str(e.host), "host");

const accountName = objectName.max(
  MAX_SERVICE_ACCOUNT_NAME,
  `must be at most ${MAX_SERVICE_ACCOUNT_NAME} characters (pulumi-kpack derives Secret names from it)`,
);

/** Credentials every managed ServiceAccount may hold: registry logins. */
const registryShape = {
  /** Name of the ServiceAccount (and its Role and RoleBinding). Default: `<object name>-<kind>`, e.g. `app-1a2b3c4-image`. */
  name: accountName.optional(),
  /** Registry logins, one per registry: to push the image and pull the builder, run image and buildpacks. */
  registryCredentials: z.array(registryCredentialSchema).optional(),
  /** A whole docker config.json (`{"auths": {…}}`), as a `kubernetes.io/dockerconfigjson` Secret. */
  dockerConfigJson: dockerConfigJson.optional(),
};

/** A managed ServiceAccount for a Builder or Buildpack: registry credentials only (kpack fetches no source for them). */
export const registryServiceAccountSchema = z.object(registryShape).strict().superRefine(checkRegistries);

/** A managed ServiceAccount for an Image: registry, git and blob credentials. */
export const imageServiceAccountSchema = z
  .object({
    ...registryShape,
    /** Git logins, for private repositories in `source.git`. */
    gitCredentials: z.array(gitCredentialSchema).optional(),
    /** Blob credentials, for `source.blob` with `auth: "secret"`. */
    blobCredentials: z.array(blobCredentialSchema).optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    checkRegistries(v, ctx);
    checkGit(v, ctx);
    checkBlobs(v, ctx);
  });

/** A managed ServiceAccount for a cluster-scoped kind: registry credentials, in the namespace given. */
export const clusterServiceAccountSchema = z
  .object({
    ...registryShape,
    /** Namespace of the ServiceAccount and its Secrets (a cluster-scoped object has none of its own). */
    namespace: z.string(required('the namespace of the ServiceAccount, e.g. "kpack"')).pipe(namespaceName),
  })
  .strict()
  .superRefine(checkRegistries);

/** Every form, as the provider reads it. */
export type ManagedServiceAccount = z.infer<typeof imageServiceAccountSchema> & {
  /** Namespace of the ServiceAccount and its Secrets: given for cluster-scoped kinds, absent for namespaced ones (their object's namespace). */
  namespace?: string;
};

/** `serviceAccountName`/`serviceAccountRef` and `managedServiceAccount` exclude each other. */
export function oneServiceAccount(existing: "serviceAccountName" | "serviceAccountRef") {
  return (v: Record<string, unknown>, ctx: z.RefinementCtx) => {
    if (v[existing] !== undefined && v.managedServiceAccount !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["managedServiceAccount"],
        message: `must not be given together with ${existing}: use ${existing} for a ServiceAccount that exists, or managedServiceAccount to have pulumi-kpack make one. Keep one`,
      });
    }
  };
}
