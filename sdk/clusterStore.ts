import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ArgsOf, BuildpackInfo, commonInputs, ConditionOutput, imageReference, internalInputs, serviceAccountRef } from "./common";
import { KpackResource } from "./resource";
import { clusterServiceAccountSchema, oneServiceAccount } from "./serviceAccount";

/**
 * ClusterStore (kpack.io/v1alpha2, cluster-scoped): a set of buildpackage
 * images whose buildpacks every builder may use by id. kpack pulls each image
 * and lists the buildpacks it contains in its status.
 */
export const clusterStoreSchema = z
  .object({
    ...commonInputs,
    /** Buildpackage images (spec.sources[].image), e.g. `[{image: "paketobuildpacks/java"}]`. At least one. */
    sources: z
      .array(z.object({ image: imageReference }).strict(), {
        error: (iss) => (iss.input === undefined ? 'is required: a list of buildpackage images such as [{image: "registry.example.com/buildpacks/java:1"}]' : undefined),
      })
      .min(1, 'must list at least one buildpackage image, such as [{image: "registry.example.com/buildpacks/java:1"}]'),
    /** ServiceAccount whose secrets kpack uses to pull the buildpackages. */
    serviceAccountRef: serviceAccountRef.optional(),
    /**
     * A ServiceAccount pulumi-kpack makes (in `namespace`) with `registryCredentials`
     * (`[{registry, username, password}]`) and/or `dockerConfigJson`, for kpack to pull the buildpackages with;
     * `name` defaults to `<name>-clusterstore`. Credentials are kept secret in state. Not with serviceAccountRef.
     */
    managedServiceAccount: clusterServiceAccountSchema.optional(),
  })
  .strict()
  .superRefine(oneServiceAccount("serviceAccountRef"));

/** Checked inputs as the provider sees them. */
export const clusterStoreInputs = clusterStoreSchema.extend({ ...internalInputs, autoNamed: z.boolean().optional() }).strict();
export type ClusterStoreInputs = z.infer<typeof clusterStoreInputs>;

export type ClusterStoreArgs = ArgsOf<typeof clusterStoreSchema>;

const outputKeys = ["ready", "buildpacks", "conditions"] as const;

export class ClusterStore extends KpackResource {
  readonly kpackKind = "ClusterStore" as const;
  declare readonly sources: pulumi.Output<{ image: string }[]>;
  /** True once kpack reports Ready at the current generation. */
  declare readonly ready: pulumi.Output<boolean>;
  /** The buildpacks kpack found in the sources (status.buildpacks), as id and version. */
  declare readonly buildpacks: pulumi.Output<BuildpackInfo[] | undefined>;
  declare readonly conditions: pulumi.Output<ConditionOutput[] | undefined>;

  constructor(name: string, args: ClusterStoreArgs, opts?: pulumi.CustomResourceOptions) {
    super("ClusterStore", name, args, outputKeys, opts);
  }
}
