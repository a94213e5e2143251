import { z } from "zod";
import { commonInputs, imageReference, kindSchemas, serviceAccountRef } from "./common";
import { clusterServiceAccountSchema, oneServiceAccount } from "./service-account";

/**
 * ClusterStore (kpack.io/v1alpha2, cluster-scoped): a set of buildpackage
 * images whose buildpacks every builder may use by id. kpack pulls each image
 * and lists the buildpacks it contains in its status.
 */
export const clusterStore = kindSchemas(
  {
    ...commonInputs,
    /** Buildpackage images (spec.sources[].image), e.g. `[{image: "paketobuildpacks/java"}]`. At least one. */
    sources: z
      .array(z.object({ image: imageReference }).strict(), {
        error: (iss) =>
          iss.input === undefined
            ? 'is required: a list of buildpackage images such as [{image: "registry.example.com/buildpacks/java:1"}]'
            : undefined,
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
  },
  oneServiceAccount("serviceAccountRef"),
);
export type ClusterStoreInputs = z.infer<typeof clusterStore.inputs>;
