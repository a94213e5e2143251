import { z } from "zod";
import { describeValue } from "./messages";

/**
 * Pieces every kind's schema shares: Kubernetes name rules, image references,
 * cluster access and wait controls, the SDK's internal keys, and kindSchemas(),
 * which derives a kind's args schema (what programs give) and inputs schema
 * (what the provider checks) from one shape. Shared by sdk/ and provider/;
 * nothing here is exported from the package's public index.
 */

/** The kpack API every kind of this package speaks. */
export const KPACK_API_VERSION = "kpack.io/v1alpha2";

/** What the engine sends for a value not known until apply (preview of a computed input). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

type ErrorOption = { error: (iss: { input?: unknown }) => string | undefined };

function objectNameWith(error?: ErrorOption) {
  return z
    .string(error)
    .max(253, "must be at most 253 characters")
    .regex(DNS1123_SUBDOMAIN, "must be lower-case letters, digits, '-' and '.', starting and ending with a letter or digit");
}

/** A Kubernetes object name (DNS-1123 subdomain); `what` completes "is required: …" when it is missing. */
export function objectNameOf(what?: string) {
  return objectNameWith(what ? required(what) : undefined);
}

/**
 * The name of another kpack object, where a program may pass the resource
 * itself instead (the SDK turns it into its name, sdk/refs.ts). Anything else,
 * such as `{kind, name}`, is answered with the two forms it takes.
 */
export function referenceName(kind: string, example: string) {
  const forms = `a ${kind} resource or its name`;
  return objectNameWith({
    error: (iss) =>
      iss.input === undefined
        ? `is required: ${forms}, e.g. "${example}"`
        : `takes ${forms}, not ${describeValue(iss.input)}. Pass the ${kind} resource, or its name, e.g. "${example}"`,
  });
}

/** A Kubernetes object name (DNS-1123 subdomain). */
export const objectName = objectNameOf();

export const namespaceName = z
  .string()
  .max(63, "must be at most 63 characters")
  .regex(DNS1123_LABEL, "must be lower-case letters, digits and '-', starting and ending with a letter or digit");

// registry[:port]/path[:tag][@digest], the grammar of distribution/reference, simplified; the registry may be an IPv6 literal ([::1]:5000).
const IMAGE_REF =
  /^(?:(?:[a-zA-Z0-9.-]+|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;
// The same without a digest: a place to push to.
const TAG_REF =
  /^(?:(?:[a-zA-Z0-9.-]+|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?$/;

/**
 * The repository path of a reference as go-containerregistry splits it (what
 * kpack's webhook parses): after the first '/' when the part before it has a
 * '.' or ':', else the whole name; without tag and digest.
 */
function repositoryOf(ref: string): string {
  const name = ref.split("@")[0];
  const slash = name.indexOf("/");
  let repo = slash >= 0 && /[.:]/.test(name.slice(0, slash)) ? name.slice(slash + 1) : name;
  const colon = repo.lastIndexOf(":");
  if (colon >= 0) repo = repo.slice(0, colon);
  return repo;
}

/** go-containerregistry (kpack's webhook) refuses a repository path shorter than 2 or longer than 255 characters. */
const repositoryLength = (grammar: RegExp) => (v: string, ctx: z.RefinementCtx) => {
  if (!grammar.test(v)) return;
  const n = repositoryOf(v).length;
  if (n < 2 || n > 255) {
    ctx.addIssue({
      code: "custom",
      message: `has a repository path (after the registry) of ${n} character${n === 1 ? "" : "s"}, but kpack takes 2 to 255. Give a path such as team/app`,
    });
  }
};

/** An OCI image reference such as `registry.example.com/team/app:tag` or `…@sha256:…`. */
export const imageReference = z
  .string({ error: (iss) => (iss.input === undefined ? "is required: an image reference such as registry.example.com/team/app:tag" : undefined) })
  .min(1, "must not be empty")
  .regex(IMAGE_REF, "must be an image reference such as registry.example.com/team/app:tag")
  .superRefine(repositoryLength(IMAGE_REF));

/** Reference to a ServiceAccount from a cluster-scoped kind. */
export const serviceAccountRef = z
  .object({
    name: objectName,
    namespace: namespaceName,
  })
  .strict();

/** At most one of manifestUrl, manifestFile, manifestYaml: a rule of installKpack and of KpackInstallation. */
export const oneManifestSource: Rule = (v, ctx) => {
  if ([v.manifestUrl, v.manifestFile, v.manifestYaml].filter((x) => x !== undefined).length > 1) {
    ctx.addIssue({ code: "custom", path: [], message: "give at most one of manifestUrl, manifestFile and manifestYaml" });
  }
};

/**
 * Where kpack itself comes from when a resource finds it missing (see
 * provider/install). At most one of manifestUrl, manifestFile, manifestYaml.
 */
export const kpackInstallOptions = z
  .object({
    /** kpack version, e.g. "0.17.2". An installation pulumi-kpack made that is older gets upgraded. */
    version: z
      .string()
      .regex(/^v?\d+\.\d+\.\d+$/, "must be a kpack release version such as 0.17.2")
      .optional(),
    /** URL of release YAML (default: the official release-<version>.yaml, or PULUMI_KPACK_MANIFEST_URL). */
    manifestUrl: z
      .string()
      .regex(/^(https?|file):\/\/\S+$/, "must be an http(s):// or file:// URL")
      .optional(),
    /** Path of a local file with release YAML, read by the provider. */
    manifestFile: z.string().min(1).optional(),
    /** Release YAML itself. */
    manifestYaml: z.string().min(1).optional(),
    /** Do not wait for the controller to start reconciling after installing. */
    skipAwait: z.boolean().optional(),
    /** Budget for the installation, in seconds. Default: the timeout of the operation that installs (the resource's timeoutSeconds or its default). */
    timeoutSeconds: z.number().int().positive().optional(),
  })
  .strict()
  .superRefine(oneManifestSource);

/** How the provider reaches the cluster: inputs of every resource, read at call time inside the provider. */
export const clusterAccessInputs = {
  /** Kubeconfig contents. Default: stack config kpack:kubeconfig, then KUBECONFIG or ~/.kube/config, read by the provider at run time. Stored as a secret. */
  kubeconfig: z.string().optional(),
  /** Kubeconfig context. Default: stack config kpack:context, then the kubeconfig's current-context. */
  context: z.string().optional(),
};
export type ClusterAccess = z.infer<z.ZodObject<typeof clusterAccessInputs>>;

export type InstallOptions = z.infer<typeof kpackInstallOptions>;

/** Inputs every kpack resource takes besides its spec. */
export const commonInputs = {
  /**
   * Install kpack when the cluster lacks it (default: yes, the pinned release), with these options;
   * false: never install, fail if kpack is missing.
   */
  installKpack: z.union([z.literal(false), kpackInstallOptions]).optional(),
  /** Name of the kpack object. Default: the Pulumi name plus a suffix derived from the resource URN. */
  name: objectName.optional(),
  ...clusterAccessInputs,
  /** Do not wait for kpack to report the object ready. */
  skipAwait: z.boolean().optional(),
  /**
   * Take over fields of the kpack object that another field manager (kubectl edit, another tool) set to
   * other values, as `kubectl apply --server-side --force-conflicts` does. Default: such an update fails
   * and names the manager and the fields.
   */
  forceConflicts: z.boolean().optional(),
  /** How long create/update waits for readiness, in seconds (Pulumi's customTimeouts do not reach dynamic providers). */
  timeoutSeconds: z
    .number()
    .int()
    .positive()
    .max(24 * 3600)
    .optional(),
  /**
   * Take over a kpack object of this kind and name that exists already and that this resource did not make
   * (made with kubectl, kp or another program): its status and build history stay, and a spec that matches
   * starts no build. Conflicting fields are taken over as with forceConflicts. Default: such a create fails,
   * naming the object and who made it, and writes nothing. `destroy` then deletes the object like any other.
   */
  adopt: z.boolean().optional(),
};

/** Keys the SDK and check() add for the provider's bookkeeping: a change to them alone is no change to the object. */
export const bookkeepingInputs = {
  /** The Pulumi logical name, for auto-naming and messages. */
  logicalName: z.string(),
  /** The resource's URN, so the provider can show progress next to it in `pulumi up`. */
  resourceUrn: z.string().optional(),
  /** Set by check() when the provider chose the name (kept across updates). */
  autoNamed: z.boolean().optional(),
};
export const BOOKKEEPING_KEYS: readonly string[] = Object.keys(bookkeepingInputs);

/** Keys the SDK adds to every resource's inputs; never set by users. */
export const internalInputs = {
  ...bookkeepingInputs,
  /** Version of pulumi-kpack that wrote the inputs: a change updates every resource, so fixes reach stored state. */
  providerVersion: z.string(),
};

/** A cross-field rule of a kind's schema. */
export type Rule = (v: Record<string, unknown>, ctx: z.RefinementCtx) => void;

/**
 * A kind's two schemas from one shape: `args`, what a program gives (the SDK
 * derives its TypeScript args type from it), and `inputs`, what the provider
 * checks (args plus the internal keys). `keys` are the input keys whose change
 * is a change to the resource.
 */
export function kindSchemas<S extends z.ZodRawShape>(shape: S, ...rules: Rule[]) {
  const all: Rule = (v, ctx) => rules.forEach((r) => r(v, ctx));
  return {
    args: z.object(shape).strict().superRefine(all),
    inputs: z
      .object({ ...shape, ...internalInputs })
      .strict()
      .superRefine(all),
    keys: [...Object.keys(shape), "providerVersion"] as readonly string[],
  };
}

/** The checked inputs every kind has, as the provider's lifecycle sees them. */
export type CommonInputs = z.infer<z.ZodObject<typeof commonInputs & { namespace: z.ZodOptional<z.ZodString> } & typeof internalInputs>>;

/** The error option of a required zod field: "is required: <hint>" when missing, check()'s own wording otherwise (schema/messages.ts). */
export function required(hint: string): ErrorOption {
  return { error: (iss) => (iss.input === undefined ? `is required: ${hint}` : undefined) };
}

/** An image tag kpack pushes to, such as `registry.example.com/team/app` or `…/app:v1` (no digest). */
export const tagReference = z
  .string(required("the image tag to push to, such as registry.example.com/team/app"))
  .min(1, "must not be empty")
  .regex(TAG_REF, "must be a tag to push to, such as registry.example.com/team/app or registry.example.com/team/app:v1 (no @sha256 digest)")
  .superRefine(repositoryLength(TAG_REF));

/**
 * The registry of an image reference as go-containerregistry names it (what
 * kpack compares): the first path component when it has a '.' or ':' or is
 * `localhost`, else Docker Hub (`index.docker.io`).
 */
export function registryOf(ref: string): string {
  const slash = ref.indexOf("/");
  if (slash < 0) return "index.docker.io";
  const first = ref.slice(0, slash);
  if (!/[.:]/.test(first) && first !== "localhost") return "index.docker.io";
  return first === "docker.io" ? "index.docker.io" : first;
}

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Why a Kubernetes label key is invalid, or undefined when it is valid. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) {
    return `label key "${key}": the prefix before '/' must be a DNS subdomain such as example.com`;
  }
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) {
    return `label key "${key}": the name must be 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
  }
  return undefined;
}

/** Kubernetes labels: valid keys, values of at most 63 characters. */
export const labels = z
  .record(
    z.string(),
    z
      .string()
      .max(63, "must be at most 63 characters (a label value)")
      .regex(
        /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/,
        "must be letters, digits, '-', '_' or '.', starting and ending with a letter or digit (a label value)",
      ),
  )
  .superRefine((v, ctx) => {
    for (const key of Object.keys(v)) {
      const problem = labelKeyProblem(key);
      if (problem) ctx.addIssue({ code: "custom", path: [key], message: problem });
    }
  });

/** A Kubernetes resource quantity such as `2G`, `500Mi` or `0.5`; `what` completes "is required: …" when it is missing. */
export function quantityOf(what?: string) {
  const example = 'a Kubernetes quantity as a string, such as "2G", "500Mi" or "0.5"';
  return z
    .string({
      error: (iss) => (iss.input === undefined ? (what ? `is required: ${what}` : undefined) : `must be ${example}, not ${describeValue(iss.input)}`),
    })
    .regex(
      /^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?[0-9]+))?$/,
      "must be a Kubernetes quantity such as 2G, 500Mi or 0.5",
    );
}

/** A Kubernetes resource quantity such as `2G`, `500Mi` or `0.5`. */
export const quantity = quantityOf();

/** Namespace of namespaced kinds when none is given (the engine writes the object there). */
export const DEFAULT_NAMESPACE = "default";

/** The `namespace` input of namespaced kinds. */
export const namespaceInput = namespaceName.optional();

/** A status condition as kpack reports it (an output of every kind). */
export interface ConditionOutput {
  /** Condition type, e.g. `Ready`, `UpToDate` (builders), `BuilderReady` (Images). */
  type: string;
  /** `True`, `False` or `Unknown`. */
  status: string;
  /** Why the condition is in its status, one CamelCase word, e.g. `BuildFailed`. */
  reason?: string;
  /** Human-readable detail, e.g. the error kpack met. */
  message?: string;
  /** How serious a False status is: empty for an error, else `Warning` or `Info`. */
  severity?: string;
  /** When the condition last changed status (RFC 3339). */
  lastTransitionTime?: string;
}

/** A buildpack kpack resolved: id and version, plus homepage when the buildpack declares one. */
export interface BuildpackInfo {
  /** Buildpack id, e.g. `paketo-buildpacks/java`. */
  id: string;
  /** Buildpack version; `""` when kpack reports none. */
  version: string;
  /** The buildpack's homepage URL, where it declares one. */
  homepage?: string;
}
