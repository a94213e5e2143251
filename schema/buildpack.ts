import { z } from "zod";
import { commonInputs, imageReference, kindSchemas, namespaceInput, objectName } from "./common";
import { oneServiceAccount, registryServiceAccountSchema } from "./service-account";

/**
 * Buildpack (kpack.io/v1alpha2, namespaced): one buildpackage image whose
 * buildpacks the Builders of its namespace may use, by id or by naming this
 * object in their order.
 */
export const buildpack = kindSchemas(
  {
    ...commonInputs,
    /** Namespace of the Buildpack. Default: `default`. */
    namespace: namespaceInput,
    /** The buildpackage image (spec.image), e.g. `paketobuildpacks/java:18`. */
    image: imageReference,
    /** An existing ServiceAccount (in the same namespace) whose secrets kpack uses to pull the image. Default: `default`. Not with managedServiceAccount. */
    serviceAccountName: objectName.optional(),
    /**
     * A ServiceAccount pulumi-kpack makes for this Buildpack with `registryCredentials`
     * (`[{registry, username, password}]`) and/or `dockerConfigJson`, to pull the image with;
     * `name` defaults to `<name>-buildpack`. Credentials are kept secret in state. Not with serviceAccountName.
     */
    managedServiceAccount: registryServiceAccountSchema.optional(),
  },
  oneServiceAccount("serviceAccountName"),
);
export type BuildpackInputs = z.infer<typeof buildpack.inputs>;
