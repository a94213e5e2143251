import { z } from "zod";
import { commonInputs, kindSchemas, serviceAccountRef } from "./common";
import { builderSpecShape, buildpackEntrySchema, orderSchema } from "./builder";
import { clusterServiceAccountSchema, oneServiceAccount } from "./service-account";

/**
 * ClusterBuilder (kpack.io/v1alpha2, cluster-scoped): a builder Images of any
 * namespace may use. Unlike a Builder it needs an explicit ServiceAccount (for
 * pushing the builder image) and can use only ClusterBuildpacks and the
 * ClusterStore: kpack resolves no namespaced Buildpack for it.
 */
const clusterBuilderBuildpackEntry = buildpackEntrySchema(
  ["ClusterBuildpack"] as const,
  'must be "ClusterBuildpack" (or leave kind out and give a buildpack id): kpack resolves no namespaced Buildpack for a ClusterBuilder',
);
/**
 * One buildpack of a ClusterBuilder's order group (spec.order[].group[]): `{id, version?, optional?}`, looked up in
 * ClusterBuildpacks and the store, or `{kind: "ClusterBuildpack", name, id?, version?, optional?}`.
 */
export type ClusterBuilderBuildpackEntry = z.infer<typeof clusterBuilderBuildpackEntry>;

export const clusterBuilder = kindSchemas(
  {
    ...commonInputs,
    ...builderSpecShape,
    /** Buildpack groups (spec.order), e.g. `[{group: [{id: "paketo-buildpacks/java"}]}]`. */
    order: orderSchema(clusterBuilderBuildpackEntry),
    /** An existing ServiceAccount whose secrets kpack uses to push the builder image and pull its parts (spec.serviceAccountRef). This or managedServiceAccount is required. */
    serviceAccountRef: serviceAccountRef.optional(),
    /**
     * A ServiceAccount pulumi-kpack makes (in `namespace`) with `registryCredentials`
     * (`[{registry, username, password}]`) and/or `dockerConfigJson`, for kpack to push the
     * builder image with; `name` defaults to `<name>-clusterbuilder`. Credentials are kept
     * secret in state. This or serviceAccountRef is required.
     */
    managedServiceAccount: clusterServiceAccountSchema.optional(),
  },
  oneServiceAccount("serviceAccountRef"),
  (v, ctx) => {
    // kpack requires a ServiceAccount for a ClusterBuilder (it has no namespace to take "default" from).
    if (v.serviceAccountRef === undefined && v.managedServiceAccount === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["serviceAccountRef"],
        message:
          'is required: the ServiceAccount kpack pushes the builder with, e.g. {name: "builder", namespace: "kpack"}, or give managedServiceAccount with the registry credentials',
      });
    }
  },
);
export type ClusterBuilderInputs = z.infer<typeof clusterBuilder.inputs>;
