import { z } from "zod";
import { commonInputs, imageReference, kindSchemas, serviceAccountRef } from "./common";
import { clusterServiceAccountSchema, oneServiceAccount } from "./service-account";

/**
 * ClusterBuildpack (kpack.io/v1alpha2, cluster-scoped): one buildpackage
 * image whose buildpacks any builder may use, by id or by naming this object in
 * its order.
 */
export const clusterBuildpack = kindSchemas(
  {
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
  },
  oneServiceAccount("serviceAccountRef"),
);
export type ClusterBuildpackInputs = z.infer<typeof clusterBuildpack.inputs>;
