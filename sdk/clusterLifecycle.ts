import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ArgsOf, commonInputs, ConditionOutput, imageReference, internalInputs, serviceAccountRef } from "./common";
import { KpackResource } from "./resource";
import { clusterServiceAccountSchema, oneServiceAccount } from "./serviceAccount";

/**
 * ClusterLifecycle (kpack.io/v1alpha2, cluster-scoped): a buildpacks lifecycle
 * image builders use. kpack ships one named `default-lifecycle`, which builders
 * use unless they name another.
 */
export const clusterLifecycleSchema = z
  .object({
    ...commonInputs,
    /** The lifecycle image (spec.image), e.g. `buildpacksio/lifecycle:0.20.5`. */
    image: imageReference,
    /** ServiceAccount whose secrets kpack uses to pull the image. */
    serviceAccountRef: serviceAccountRef.optional(),
    /**
     * A ServiceAccount pulumi-kpack makes (in `namespace`) with `registryCredentials`
     * (`[{registry, username, password}]`) and/or `dockerConfigJson`, for kpack to pull the lifecycle image with;
     * `name` defaults to `<name>-clusterlifecycle`. Credentials are kept secret in state. Not with serviceAccountRef.
     */
    managedServiceAccount: clusterServiceAccountSchema.optional(),
  })
  .strict()
  .superRefine(oneServiceAccount("serviceAccountRef"));

/** Checked inputs as the provider sees them. */
export const clusterLifecycleInputs = clusterLifecycleSchema.extend({ ...internalInputs, autoNamed: z.boolean().optional() }).strict();
export type ClusterLifecycleInputs = z.infer<typeof clusterLifecycleInputs>;

export type ClusterLifecycleArgs = ArgsOf<typeof clusterLifecycleSchema>;

/** Buildpack and platform API versions of a lifecycle. */
export interface LifecycleApis {
  buildpack?: { deprecated?: string[]; supported?: string[] };
  platform?: { deprecated?: string[]; supported?: string[] };
}

const outputKeys = ["ready", "resolvedImage", "version", "api", "apis", "conditions"] as const;

export class ClusterLifecycle extends KpackResource {
  readonly kpackKind = "ClusterLifecycle" as const;
  declare readonly image: pulumi.Output<string>;
  /** True once kpack reports Ready at the current generation. */
  declare readonly ready: pulumi.Output<boolean>;
  /** The lifecycle image kpack resolved, digest-pinned (status.image.latestImage). */
  declare readonly resolvedImage: pulumi.Output<string | undefined>;
  /** Lifecycle version (status.version), e.g. `0.20.5`. */
  declare readonly version: pulumi.Output<string | undefined>;
  /** The lifecycle's default buildpack and platform API versions (status.api). */
  declare readonly api: pulumi.Output<{ buildpack?: string; platform?: string } | undefined>;
  /** Deprecated and supported buildpack and platform APIs (status.apis). */
  declare readonly apis: pulumi.Output<LifecycleApis | undefined>;
  declare readonly conditions: pulumi.Output<ConditionOutput[] | undefined>;

  constructor(name: string, args: ClusterLifecycleArgs, opts?: pulumi.CustomResourceOptions) {
    super("ClusterLifecycle", name, args, outputKeys, opts);
  }
}
