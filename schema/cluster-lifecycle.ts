import { z } from "zod";
import { commonInputs, imageReference, kindSchemas, serviceAccountRef } from "./common";
import { clusterServiceAccountSchema, oneServiceAccount } from "./service-account";

/**
 * ClusterLifecycle (kpack.io/v1alpha2, cluster-scoped): a buildpacks lifecycle
 * image builders use. kpack ships one named `default-lifecycle`, which builders
 * use unless they name another.
 */
export const clusterLifecycle = kindSchemas(
  {
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
  },
  oneServiceAccount("serviceAccountRef"),
);
export type ClusterLifecycleInputs = z.infer<typeof clusterLifecycle.inputs>;

/** Buildpack and platform API versions of a lifecycle (an output). */
export interface LifecycleApis {
  /** Buildpack API versions (status.apis.buildpack). */
  buildpack?: {
    /** Versions the lifecycle still supports but has deprecated; `[]` for none. */
    deprecated?: string[];
    /** Versions the lifecycle supports; `[]` for none. */
    supported?: string[];
  };
  /** Platform API versions (status.apis.platform). */
  platform?: {
    /** Versions the lifecycle still supports but has deprecated; `[]` for none. */
    deprecated?: string[];
    /** Versions the lifecycle supports; `[]` for none. */
    supported?: string[];
  };
}
