import { z } from "zod";
import { commonInputs, imageReference, kindSchemas, serviceAccountRef } from "./common";
import { clusterServiceAccountSchema, oneServiceAccount } from "./service-account";

/**
 * ClusterStack (kpack.io/v1alpha2, cluster-scoped): the build and run base
 * images every builder on that stack uses. kpack resolves both tags to digests
 * and checks that they carry `io.buildpacks.stack.id` equal to `stackId`.
 */
export const clusterStack = kindSchemas(
  {
    ...commonInputs,
    /** The stack id (spec.id), e.g. `io.buildpacks.stacks.jammy`. Both images must carry it as `io.buildpacks.stack.id`. */
    stackId: z.string().min(1, "must name the stack id, e.g. io.buildpacks.stacks.jammy"),
    /** Build image reference (spec.buildImage.image). */
    buildImage: imageReference,
    /** Run image reference (spec.runImage.image). */
    runImage: imageReference,
    /** ServiceAccount whose secrets kpack uses to pull the stack images. */
    serviceAccountRef: serviceAccountRef.optional(),
    /**
     * A ServiceAccount pulumi-kpack makes (in `namespace`) with `registryCredentials`
     * (`[{registry, username, password}]`) and/or `dockerConfigJson`, for kpack to pull the stack images with;
     * `name` defaults to `<name>-clusterstack`. Credentials are kept secret in state. Not with serviceAccountRef.
     */
    managedServiceAccount: clusterServiceAccountSchema.optional(),
  },
  oneServiceAccount("serviceAccountRef"),
);
export type ClusterStackInputs = z.infer<typeof clusterStack.inputs>;
