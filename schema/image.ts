import { z } from "zod";
import {
  commonInputs,
  imageReference,
  kindSchemas,
  namespaceInput,
  objectName,
  objectNameOf,
  quantity,
  quantityOf,
  registryOf,
  required,
  tagReference,
  UNKNOWN,
} from "./common";
import { describeValue } from "./messages";
import { imageServiceAccountSchema, oneServiceAccount } from "./service-account";

/**
 * Image (kpack.io/v1alpha2, namespaced): kpack builds `source` with the
 * builder and pushes the result to `tag`, and builds again whenever the
 * source, the build config, the builder's buildpacks or its stack change.
 * `latestImage` is the digest-pinned result to deploy.
 */

const oneOf = (keys: readonly string[], example: string) => (v: Record<string, unknown>, ctx: z.RefinementCtx) => {
  const given = keys.filter((k) => v[k] !== undefined);
  if (given.length === 0) {
    ctx.addIssue({ code: "custom", path: [], message: `must give exactly one of ${keys.join(", ")}, e.g. ${example}` });
  } else if (given.length > 1) {
    ctx.addIssue({
      code: "custom",
      path: [given[1]],
      message: `must give exactly one of ${keys.join(", ")}, but gives ${given.join(" and ")}. Keep one`,
    });
  }
};

const GIT_FORMS =
  "https://git.example.com/team/app.git, http://…, ssh://git@git.example.com/team/app.git, git@git.example.com:team/app.git or git://git.example.com/team/app.git";

/**
 * Why kpack could not clone from a git URL, or undefined. kpack (go-git)
 * takes a URL with scheme http, https, ssh or git, or the scp-like
 * `[user@]host:path`; anything else it reads as a local path, which in the
 * cluster means the controller's own filesystem. Never quotes the URL: it
 * may carry a token.
 */
export function gitUrlProblem(url: string): string | undefined {
  const scheme = /^([^:/]+):\/\//.exec(url)?.[1];
  if (scheme !== undefined) {
    if (scheme === "file")
      return `must be a URL kpack can clone over the network, not a file:// URL (kpack clones inside the cluster, where it means the controller's own disk). Use one of: ${GIT_FORMS}`;
    if (!["http", "https", "ssh", "git"].includes(scheme.toLowerCase()))
      return `has the scheme "${scheme}", which kpack cannot clone from. Use one of: ${GIT_FORMS}`;
    if (!/^[^:/]+:\/\/(?:[^@/]*@)?[^@/:\s]+/.test(url)) return `names no host. Use one of: ${GIT_FORMS}`;
    return undefined;
  }
  // go-git's scp-like form: [user@]host:[port:]path, host without ':' or spaces.
  const scp = /^(?:[^@]+@)?([^:\s]+):(?:[0-9]{1,5}:)?([^\\].*)$/.exec(url);
  if (scp) {
    if (["http", "https", "ssh", "git", "file"].includes(scp[1].toLowerCase()))
      return `looks like a URL with a mistyped "://" (kpack would read it as host "${scp[1]}"). Use one of: ${GIT_FORMS}`;
    return undefined;
  }
  return `is not a git URL kpack can clone: without a scheme it is a local path. Use one of: ${GIT_FORMS}`;
}

/** Why kpack could not download a blob URL, or undefined: it fetches over HTTP(S) only. Never quotes the URL (it may carry a token). */
export function blobUrlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return "must be an http:// or https:// URL of a zip or tar archive, e.g. https://storage.example.com/app.tgz";
  }
  if (u.protocol !== "http:" && u.protocol !== "https:")
    return `must be an http:// or https:// URL (kpack downloads the archive over HTTP), not ${u.protocol.replace(/:$/, "")}:, e.g. https://storage.example.com/app.tgz`;
  if (!u.hostname) return "names no host: give an http:// or https:// URL such as https://storage.example.com/app.tgz";
  return undefined;
}

/** A zod refinement from a "why not" function; skips values not known at preview. */
const problemOf = (why: (v: string) => string | undefined) => (v: string, ctx: z.RefinementCtx) => {
  if (v === UNKNOWN) return;
  const problem = why(v);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
};

/** Where the source code comes from (spec.source): exactly one of git, blob or registry. */
export const sourceSchema = z
  .object(
    {
      /** A git repository at a branch, tag or commit; kpack polls branches and rebuilds on new commits. */
      git: z
        .object({
          url: z
            .string(required("the repository URL, e.g. https://github.com/org/app"))
            .min(1, "must not be empty: give the repository URL")
            .superRefine(problemOf(gitUrlProblem)),
          revision: z.string(required("a branch, tag or commit SHA, e.g. main")).min(1, "must not be empty: give a branch, tag or commit SHA"),
          /** Clone submodules too. */
          initializeSubmodules: z.boolean().optional(),
        })
        .strict()
        .optional(),
      /** An archive (zip, tar, tar.gz) at a URL. */
      blob: z
        .object({
          url: z
            .string(required("the URL of a zip or tar archive"))
            .min(1, "must not be empty: give the URL of a zip or tar archive")
            .superRefine(problemOf(blobUrlProblem)),
          /** `helper` or `secret` (credentials from a `kpack.io/blob` Secret of the ServiceAccount). Default: none. */
          auth: z.enum(["helper", "secret"], { error: 'must be "helper" or "secret" (or left out for no authentication)' }).optional(),
          /** Leading path components to strip from the archive. */
          stripComponents: z.number().int("must be a whole number").min(0, "must be 0 or more").optional(),
        })
        .strict()
        .optional(),
      /** An OCI image whose layers hold the source. */
      registry: z
        .object({
          image: imageReference,
          /** Secrets to pull the source image with. */
          imagePullSecrets: z.array(z.object({ name: objectNameOf("the Secret name") }).strict()).optional(),
        })
        .strict()
        .optional(),
      /** Directory inside the source to build. Default: its root. */
      subPath: z.string().optional(),
    },
    required('where the source comes from, e.g. {git: {url: "https://github.com/org/app", revision: "main"}}'),
  )
  .strict()
  .superRefine(oneOf(["git", "blob", "registry"], '{git: {url: "https://github.com/org/app", revision: "main"}}'));

/** The build cache (spec.cache): a volume or a registry image. */
export const cacheSchema = z
  .object({
    /** A PersistentVolumeClaim kpack creates (`<image>-cache`); its size can only grow. */
    volume: z
      .object({
        size: quantityOf("the volume size, e.g. 2G"),
        /** StorageClass of the claim; needed when the cluster has no default StorageClass. Cannot change later. */
        storageClassName: objectName.optional(),
      })
      .strict()
      .optional(),
    /** A cache image in a registry. */
    registry: z.object({ tag: tagReference }).strict().optional(),
  })
  .strict()
  .superRefine(oneOf(["volume", "registry"], '{volume: {size: "2G"}}'));

const envVar = z
  .object({
    name: z
      .string(required("the variable name"))
      .regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/, "must be a valid environment variable name (letters, digits, '_', '-', '.'; not starting with a digit)"),
    value: z.string().optional(),
    valueFrom: z
      .object({
        configMapKeyRef: z
          .object({ name: objectNameOf("the ConfigMap name"), key: z.string().min(1, "must not be empty"), optional: z.boolean().optional() })
          .strict()
          .optional(),
        fieldRef: z
          .object({ fieldPath: z.string().min(1, "must not be empty"), apiVersion: z.string().optional() })
          .strict()
          .optional(),
        resourceFieldRef: z
          .object({ resource: z.string().min(1, "must not be empty"), containerName: z.string().optional(), divisor: quantity.optional() })
          .strict()
          .optional(),
        secretKeyRef: z
          .never({
            error:
              "kpack rejects secretKeyRef in build env (kpack #1945). Give a plain value or a configMapKeyRef; for registry, git or blob credentials, attach a Secret to the Image's ServiceAccount instead",
          })
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.value !== undefined && v.valueFrom !== undefined)
      ctx.addIssue({ code: "custom", path: ["valueFrom"], message: "must not be given together with value. Keep one" });
  });

/**
 * corev1.Affinity's shape: kpack's webhook decodes it and refuses wrong types;
 * a field it lacks kpack would keep and ignore, so check refuses that too. The
 * values' own rules are the Pod's.
 */
const selectorRequirement = z
  .object({ key: z.string().optional(), operator: z.string().optional(), values: z.array(z.string()).optional() })
  .strict();
const nodeSelectorTerm = z
  .object({ matchExpressions: z.array(selectorRequirement).optional(), matchFields: z.array(selectorRequirement).optional() })
  .strict();
const labelSelector = z
  .object({ matchLabels: z.record(z.string(), z.string()).optional(), matchExpressions: z.array(selectorRequirement).optional() })
  .strict();
const podAffinityTerm = z
  .object({
    labelSelector: labelSelector.optional(),
    namespaceSelector: labelSelector.optional(),
    namespaces: z.array(z.string()).optional(),
    topologyKey: z.string().optional(),
    matchLabelKeys: z.array(z.string()).optional(),
    mismatchLabelKeys: z.array(z.string()).optional(),
  })
  .strict();
const weight = z.number().int("must be a whole number");
const podAffinity = z
  .object({
    requiredDuringSchedulingIgnoredDuringExecution: z.array(podAffinityTerm).optional(),
    preferredDuringSchedulingIgnoredDuringExecution: z
      .array(z.object({ weight: weight.optional(), podAffinityTerm: podAffinityTerm.optional() }).strict())
      .optional(),
  })
  .strict();
const affinity = z
  .object({
    nodeAffinity: z
      .object({
        requiredDuringSchedulingIgnoredDuringExecution: z
          .object({ nodeSelectorTerms: z.array(nodeSelectorTerm).optional() })
          .strict()
          .optional(),
        preferredDuringSchedulingIgnoredDuringExecution: z
          .array(z.object({ weight: weight.optional(), preference: nodeSelectorTerm.optional() }).strict())
          .optional(),
      })
      .strict()
      .optional(),
    podAffinity: podAffinity.optional(),
    podAntiAffinity: podAffinity.optional(),
  })
  .strict();

/** kpack's webhook refuses two services of one name: it binds each by name. */
function uniqueServiceNames(v: Array<{ name?: unknown }>, ctx: z.RefinementCtx): void {
  const seen = new Map<unknown, number>();
  v.forEach((s, i) => {
    if (typeof s.name !== "string" || s.name === UNKNOWN) return;
    const first = seen.get(s.name);
    if (first !== undefined)
      ctx.addIssue({
        code: "custom",
        path: [i, "name"],
        message: `repeats the name of build.services[${first}], but kpack binds each service by its name. Give each service a different name`,
      });
    else seen.set(s.name, i);
  });
}

/** Why kpack cannot read a creation time, or undefined: "now", or a 64-bit signed Unix timestamp in seconds (Go's strconv.ParseInt). */
export function creationTimeProblem(v: string): string | undefined {
  if (v === "now") return undefined;
  if (!/^[+-]?[0-9]+$/.test(v)) return 'must be "now" or a Unix timestamp in seconds';
  const n = BigInt(v);
  if (n > 2n ** 63n - 1n || n < -(2n ** 63n))
    return "is out of range: kpack reads it as a 64-bit number of seconds. Give a Unix timestamp such as 1700000000";
  return undefined;
}

/** Build pod settings (spec.build). */
export const buildSchema = z
  .object({
    /** Environment of the build (BP_* variables etc.). A change starts a build. */
    env: z.array(envVar).optional(),
    /** CPU and memory of the build pod. A change starts a build. */
    resources: z
      .object({ limits: z.record(z.string(), quantity).optional(), requests: z.record(z.string(), quantity).optional() })
      .strict()
      .optional(),
    /** Service bindings (Secrets as {kind, name, apiVersion?}). A change starts a build. */
    services: z
      .array(
        z
          .object({ kind: z.string().min(1, "must not be empty"), name: objectNameOf("the bound object's name"), apiVersion: z.string().optional() })
          .strict(),
      )
      .superRefine(uniqueServiceNames)
      .optional(),
    tolerations: z
      .array(
        z
          .object({
            key: z.string().optional(),
            operator: z.enum(["Exists", "Equal"]).optional(),
            value: z.string().optional(),
            effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional(),
            tolerationSeconds: z.number().int().optional(),
          })
          .strict(),
      )
      .optional(),
    /** Node labels the build pod must match; kpack sets `kubernetes.io/os` itself. */
    nodeSelector: z
      .record(z.string(), z.string())
      .superRefine((v, ctx) => {
        if ("kubernetes.io/os" in v)
          ctx.addIssue({
            code: "custom",
            path: ["kubernetes.io/os"],
            message: "must not be set: kpack picks the OS from the builder. Remove this key",
          });
      })
      .optional(),
    /** Pod affinity, as in a Pod spec: nodeAffinity, podAffinity, podAntiAffinity. */
    affinity: affinity.optional(),
    runtimeClassName: objectName.optional(),
    schedulerName: z.string().min(1, "must not be empty").optional(),
    /** Seconds a build may run before kpack stops it (the pod's activeDeadlineSeconds). */
    buildTimeout: z.number().int("must be a whole number of seconds").positive("must be at least 1 second").optional(),
    /** Creation time recorded in the image: "now", or a Unix timestamp in seconds. Default: the buildpacks' fixed date. */
    creationTime: z.string().superRefine(problemOf(creationTimeProblem)).optional(),
  })
  .strict();

const historyLimit = z.number().int("must be a whole number").min(1, "must be at least 1 (kpack keeps at least one build)");

const imageShape = {
  ...commonInputs,
  /** Image name; at most 63 characters, because kpack copies it into label values. Default: the Pulumi name plus a suffix derived from the resource URN. */
  name: commonInputs.name,
  /** Namespace of the Image; a Builder it uses must be in it too. Default: `default`. */
  namespace: namespaceInput,
  /** Where kpack pushes the app image (spec.tag), e.g. `registry.example.com/team/app`. Cannot change: a new tag replaces the Image. */
  tag: tagReference,
  /** More tags kpack pushes each build to (spec.additionalTags); same registry as `tag`. A change starts no build. */
  additionalTags: z.array(tagReference).optional(),
  /**
   * The builder (spec.builder): `{kind: "Builder" | "ClusterBuilder", name}`. A Builder must be in the Image's namespace.
   * Changing it makes a build (see rebuildOnBuilderChange).
   */
  builder: z
    .object(
      {
        kind: z.enum(["Builder", "ClusterBuilder"], { error: 'must be "Builder" or "ClusterBuilder"' }),
        name: objectNameOf("the builder's name"),
      },
      {
        error: (iss) =>
          iss.input === undefined
            ? 'is required: the builder to use, e.g. {kind: "ClusterBuilder", name: "default"}, or pass the Builder/ClusterBuilder resource'
            : iss.code === "invalid_type"
              ? `takes a Builder or ClusterBuilder resource, or {kind: "Builder" | "ClusterBuilder", name}, not ${describeValue(iss.input)}. E.g. builder: {kind: "ClusterBuilder", name: "default"}`
              : undefined,
      },
    )
    .strict(),
  /**
   * Whether a change of `builder` makes a build. Default: true. kpack itself
   * rebuilds after a builder change only when the new builder's buildpacks,
   * stack or lifecycle differ from those of the last build (kpack #1198), so
   * `latestImage` would stay the old builder's output; with this true,
   * `pulumi up` asks kpack for a build (as triggerBuild does) when kpack
   * starts none, and waits for it. false: leave it to kpack. Not with skipAwait,
   * which does not wait for kpack to decide.
   */
  rebuildOnBuilderChange: z.boolean().optional(),
  /** An existing ServiceAccount (same namespace) whose secrets kpack uses to pull the source and push the image. Default: `default`. Not with managedServiceAccount. */
  serviceAccountName: objectName.optional(),
  /**
   * A ServiceAccount pulumi-kpack makes for this Image, with these credentials as
   * Secrets kpack reads: `registryCredentials` (`[{registry, username, password}]`),
   * `dockerConfigJson`, `gitCredentials` (`[{url, username, password}]` or
   * `[{url, sshPrivateKey, knownHosts?}]`), `blobCredentials` (`[{host, username,
   * password}]`, `[{host, bearer}]` or `[{host, authorization}]`), and `name`
   * (default `<image name>-image`). Credentials are kept secret in state. Its Role
   * grants nothing: the build pod needs no Kubernetes API access. Not with serviceAccountName.
   */
  managedServiceAccount: imageServiceAccountSchema.optional(),
  /** Source code: exactly one of git, blob or registry, plus an optional subPath. */
  source: sourceSchema,
  /**
   * Build cache: `{volume: {size, storageClassName?}}` or `{registry: {tag}}`.
   * Default: kpack's, which pulumi-kpack does not override: on a cluster with a
   * default StorageClass kpack's webhook gives the Image a 2G volume cache, else
   * it has none. Any change works in `up` except what kpack refuses, which
   * preview reports: a volume cache cannot shrink or change StorageClass, so
   * removing a volume larger than 2G or on a named class fails too.
   */
  cache: cacheSchema.optional(),
  /** Failed builds to keep. Default: 10. */
  failedBuildHistoryLimit: historyLimit.optional(),
  /** Successful builds to keep. Default: 10. */
  successBuildHistoryLimit: historyLimit.optional(),
  /** `BuildNumber` also pushes `<tag>-b<N>.<date>.<time>` each build; `None` only the tag and additionalTags. Default: `BuildNumber`. */
  imageTaggingStrategy: z.enum(["BuildNumber", "None"], { error: 'must be "BuildNumber" or "None"' }).optional(),
  /** Build pod settings: env, resources, services, scheduling, buildTimeout, creationTime. */
  build: buildSchema.optional(),
  /** Path of project.toml in the source. Default: project.toml at the source root. */
  projectDescriptorPath: z.string().min(1, "must not be empty").optional(),
  /**
   * Change this value to make kpack build again with the same spec, as `kp image trigger` does, except
   * that `pulumi up` waits for the build: after fixing credentials, or to rebuild at once. kpack starts
   * no build for a changed ServiceAccount or cache (kpack #1198). The first value starts nothing.
   */
  triggerBuild: z.string().min(1, "must not be empty").optional(),
  /** Process type the image starts by default, e.g. `web`. */
  defaultProcess: z.string().min(1, "must not be empty").optional(),
  /** Cosign signing annotations (spec.cosign.annotations). */
  cosign: z
    .object({
      annotations: z
        .array(
          z
            .object({
              name: z.string().min(1, "must not be empty"),
              value: z.string().min(1, "must not be empty: kpack refuses an annotation without a value. Give a value, or remove the annotation"),
            })
            .strict(),
        )
        .optional(),
    })
    .strict()
    .optional(),
};

/** additionalTags must be in the registry of tag (kpack pushes them with the same credentials). */
function sameRegistry(v: { tag?: unknown; additionalTags?: unknown }, ctx: z.RefinementCtx): void {
  if (typeof v.tag !== "string" || v.tag === UNKNOWN || !Array.isArray(v.additionalTags)) return;
  const want = registryOf(v.tag);
  v.additionalTags.forEach((t, i) => {
    if (typeof t !== "string" || t === UNKNOWN) return;
    const got = registryOf(t);
    if (got !== want) {
      ctx.addIssue({
        code: "custom",
        path: ["additionalTags", i],
        message: `must be in the registry of tag (${want}), not ${got}: kpack rejects additional tags in another registry. Use a ${want}/… tag`,
      });
    }
  });
}

/** Blob credentials are used only when the blob source asks for them (kpack passes them only then). */
function blobCredentialsUsed(v: { source?: unknown; managedServiceAccount?: unknown }, ctx: z.RefinementCtx): void {
  const creds = (v.managedServiceAccount as { blobCredentials?: unknown[] } | undefined)?.blobCredentials;
  if (!Array.isArray(creds) || creds.length === 0) return;
  const blob = (v.source as { blob?: { auth?: unknown } } | undefined)?.blob;
  if (blob?.auth === "secret" || blob?.auth === UNKNOWN) return;
  ctx.addIssue({
    code: "custom",
    path: ["managedServiceAccount", "blobCredentials"],
    message: blob
      ? 'are used by kpack only when source.blob.auth is "secret". Set source.blob.auth to "secret", or remove blobCredentials'
      : 'are used only for a source.blob with auth: "secret", but the source is not a blob. Remove blobCredentials',
  });
}

export const image = kindSchemas(imageShape, sameRegistry, oneServiceAccount("serviceAccountName"), blobCredentialsUsed);
export type ImageInputs = z.infer<typeof image.inputs>;

/**
 * What the Image's latestImage was built from (output `provenance`), read off
 * the Build that pushed it: the latest successful Build.
 */
export interface BuildProvenance {
  /** The Build's name, e.g. `app-build-3`. */
  build: string;
  /** Its build number (label image.kpack.io/buildNumber). */
  buildNumber?: number;
  /** Why kpack ran it (annotation image.kpack.io/reason): `CONFIG`, `COMMIT`, `BUILDPACK`, `STACK`, `TRIGGER`, `LIFECYCLE`, comma-joined. */
  reason: string;
  /** The digest-pinned image it pushed (the Image's latestImage). */
  image: string;
  /**
   * What kpack fetched: for git the commit a branch or tag resolved to, for a blob its URL,
   * for a registry source the image as kpack resolved it. `subPath` when the build used one.
   */
  source: {
    /** A git source: the repository URL and the revision built, a commit SHA where a branch or tag was resolved (the Build's spec.source.git). */
    git?: { url: string; revision: string };
    /** A blob source: the archive's URL (the Build's spec.source.blob.url). */
    blob?: { url: string };
    /** A registry source: the source image as kpack resolved it (the Build's spec.source.registry.image). */
    registry?: { image: string };
    /** The directory inside the source that was built (the Build's spec.source.subPath). */
    subPath?: string;
  };
  /** The buildpacks that took part, in order, as the lifecycle reported them (status.buildMetadata). */
  buildpacks: Array<{
    /** Buildpack id, e.g. `paketo-buildpacks/java`. */
    id: string;
    /** Buildpack version. */
    version: string;
  }>;
  /** The run image the app image is based on, digest-pinned (status.stack.runImage). */
  runImage: string;
  /** The stack id (status.stack.id). */
  stackId: string;
  /** The CNB lifecycle version that ran the build. */
  lifecycleVersion?: string;
  /** The cache image the build exported, with a registry cache (status.latestCacheImage). */
  cacheImage?: string;
  /** The SLSA attestation image, where kpack made one (status.latestAttestationImage). */
  attestationImage?: string;
}
