import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ArgsOf, BuildpackInfo, commonInputs, ConditionOutput, imageReference, internalInputs, serviceAccountRef } from "./common";
import { KpackResource } from "./resource";
import { clusterServiceAccountSchema, oneServiceAccount } from "./serviceAccount";

/**
 * ClusterBuildpack (kpack.io/v1alpha2, cluster-scoped): one buildpackage
 * image whose buildpacks any builder may use, by id or by naming this object in
 * its order.
 */
export const clusterBuildpackSchema = z
  .object({
    ...commonInputs,
    /** The buildpackage image (spec.image), e.g. `paketobuildpacks/java:18`. */
    image: imageReference,
    /** ServiceAccount whose secrets kpack uses to pull the image. */
    serviceAccountRef: serviceAccountRef.optional(),
    /**
     * A ServiceAccount pulumi-kpack makes (in `namespace`) with `registryCredentials`
     * (`[{registry, username, password}]`) and/or `dockerConfigJson`, for kpack to pull the buildpackage with;
     * `name` defaults to `<name>-clusterbuildpack`. Credentials are kept secret in state. Not with serviceAccountRef.
     */
    managedServiceAccount: clusterServiceAccountSchema.optional(),
  })
  .strict()
  .superRefine(oneServiceAccount("serviceAccountRef"));

/** Checked inputs as the provider sees them. */
export const clusterBuildpackInputs = clusterBuildpackSchema.extend({ ...internalInputs, autoNamed: z.boolean().optional() }).strict();
export type ClusterBuildpackInputs = z.infer<typeof clusterBuildpackInputs>;

export type ClusterBuildpackArgs = ArgsOf<typeof clusterBuildpackSchema>;

const outputKeys = ["ready", "buildpacks", "conditions"] as const;

export class ClusterBuildpack extends KpackResource {
  readonly kpackKind = "ClusterBuildpack" as const;
  declare readonly image: pulumi.Output<string>;
  /** True once kpack reports Ready at the current generation. */
  declare readonly ready: pulumi.Output<boolean>;
  /** The buildpacks kpack found in the image (status.buildpacks), as id and version. */
  declare readonly buildpacks: pulumi.Output<BuildpackInfo[] | undefined>;
  declare readonly conditions: pulumi.Output<ConditionOutput[] | undefined>;

  constructor(name: string, args: ClusterBuildpackArgs, opts?: pulumi.CustomResourceOptions) {
    super("ClusterBuildpack", name, args, outputKeys, opts);
  }
}
