import { z } from "zod";
import { commonInputs, kindSchemas, namespaceInput, objectName, objectNameOf, referenceName, required, tagReference } from "./common";
import { describeValue } from "./messages";
import { oneServiceAccount, registryServiceAccountSchema } from "./service-account";

/**
 * Builder (kpack.io/v1alpha2, namespaced) and the parts it shares with
 * ClusterBuilder (schema/cluster-builder.ts): kpack assembles a builder image
 * from a ClusterStack, a lifecycle and buildpacks in the given order, pushes it
 * to `tag`, and Images of the namespace build with it.
 */

/** The lifecycle kpack uses when a builder names none (shipped with kpack). */
export const DEFAULT_LIFECYCLE = "default-lifecycle";

/** One buildpack of an order group; `kinds` are the buildpack kinds the builder may reference. */
export function buildpackEntrySchema<K extends readonly [string, ...string[]]>(kinds: K, kindProblem: string) {
  const byId = z
    .object({
      kind: z.undefined().optional(),
      /** Buildpack id, e.g. `paketo-buildpacks/java`: looked up in Buildpacks, ClusterBuildpacks and the store. */
      id: z
        .string(required("a buildpack id such as paketo-buildpacks/java, or kind and name of a buildpack object"))
        .min(1, "must not be empty: give a buildpack id such as paketo-buildpacks/java"),
      /** Buildpack version. Default: the highest version found. */
      version: z.string().min(1, "must not be empty; leave it out for the highest version").optional(),
      /** Detection may skip this buildpack without failing the group. */
      optional: z.boolean().optional(),
      name: z.never({ error: `needs a kind next to it (${kinds.map((k) => `"${k}"`).join(" or ")}), or give a buildpack id instead` }).optional(),
      buildpack: z
        .never({
          error: `takes a ${kinds.join(" or ")} resource (pulumi-kpack turns it into its kind and name). To name one, give {kind: ${kinds.map((k) => `"${k}"`).join(" | ")}, name} instead`,
        })
        .optional(),
      image: z
        .never({
          error:
            "kpack does not support image entries in a builder order (its webhook rejects them). Use id, or kind and name of a Buildpack/ClusterBuildpack that points at the image",
        })
        .optional(),
    })
    .strict();
  const byRef = z
    .object({
      /** Kind of the buildpack object. */
      kind: z.enum(kinds),
      /** Name of the buildpack object. */
      name: objectNameOf("the name of the buildpack object"),
      /** Id of one buildpack inside the object (for buildpackages with several). Default: its root buildpack. */
      id: z.string().min(1, "must not be empty; leave it out to use the object's root buildpack").optional(),
      /** Version of that buildpack. Default: the highest version found. */
      version: z.string().min(1, "must not be empty; leave it out for the highest version").optional(),
      /** Detection may skip this buildpack without failing the group. */
      optional: z.boolean().optional(),
    })
    .strict();
  const forms = `{id: "paketo-buildpacks/java"}, {kind: ${kinds.map((k) => `"${k}"`).join(" | ")}, name}, or {buildpack: <${kinds.join(" or ")} resource>}`;
  return z.discriminatedUnion("kind", [byId, byRef], {
    error: (iss) => {
      if (iss.input === null || typeof iss.input !== "object" || Array.isArray(iss.input)) return `must be ${forms}, not ${describeValue(iss.input)}`;
      return iss.code === "invalid_union" ? kindProblem : undefined;
    },
  });
}

/** The order of buildpack groups; detection picks the first group that passes. */
export function orderSchema<E extends z.ZodType>(entry: E) {
  return z
    .array(
      z
        .object({
          group: z
            .array(entry, required('the buildpacks of this group, e.g. {group: [{id: "paketo-buildpacks/java"}]}'))
            .min(1, 'must list at least one buildpack, e.g. [{id: "paketo-buildpacks/java"}]'),
        })
        .strict(),
      required('at least one group of buildpacks, e.g. [{group: [{id: "paketo-buildpacks/java"}]}]'),
    )
    .min(1, 'must have at least one group of buildpacks, e.g. [{group: [{id: "paketo-buildpacks/java"}]}]');
}

const builderBuildpackEntry = buildpackEntrySchema(
  ["Buildpack", "ClusterBuildpack"] as const,
  'must be "Buildpack" or "ClusterBuildpack" (or leave kind out and give a buildpack id)',
);
/**
 * One buildpack of a Builder's order group (spec.order[].group[]): `{id, version?, optional?}`, looked up in
 * Buildpacks, ClusterBuildpacks and the store, or `{kind: "Buildpack" | "ClusterBuildpack", name, id?, version?, optional?}`.
 */
export type BuilderBuildpackEntry = z.infer<typeof builderBuildpackEntry>;

/** Spec fields Builder and ClusterBuilder share. */
export const builderSpecShape = {
  /** Where kpack pushes the builder image (spec.tag), e.g. `registry.example.com/builders/java`. */
  tag: tagReference,
  /** Name of the ClusterStack to build on (spec.stack). */
  stack: referenceName("ClusterStack", "base"),
  /** Name of a ClusterStore whose buildpacks the order may use by id (spec.store). Default: none. */
  store: referenceName("ClusterStore", "default").optional(),
  /** Name of the ClusterLifecycle (spec.lifecycle). Default: `default-lifecycle`, which kpack ships. */
  lifecycle: referenceName("ClusterLifecycle", DEFAULT_LIFECYCLE).optional(),
  /**
   * Labels kpack writes into the builder image's OCI config
   * (spec.additionalLabels): any keys and values, as OCI image labels allow;
   * kpack's webhook checks none of them.
   */
  additionalLabels: z.record(z.string().min(1, "an image label key must not be empty"), z.string()).optional(),
};

export const builder = kindSchemas(
  {
    ...commonInputs,
    /** Namespace of the Builder; Images use it from the same namespace. Default: `default`. */
    namespace: namespaceInput,
    ...builderSpecShape,
    /** Buildpack groups (spec.order), e.g. `[{group: [{id: "paketo-buildpacks/java"}]}]`. */
    order: orderSchema(builderBuildpackEntry),
    /** An existing ServiceAccount (same namespace) whose secrets kpack uses to push the builder and pull its parts. Default: `default`. Not with managedServiceAccount. */
    serviceAccountName: objectName.optional(),
    /**
     * A ServiceAccount pulumi-kpack makes for this Builder, holding `registryCredentials`
     * (`[{registry, username, password}]`) and/or `dockerConfigJson` as Secrets kpack reads;
     * `name` defaults to `<builder name>-builder`. Credentials are kept secret in state. Not with serviceAccountName.
     */
    managedServiceAccount: registryServiceAccountSchema.optional(),
  },
  oneServiceAccount("serviceAccountName"),
);
export type BuilderInputs = z.infer<typeof builder.inputs>;
