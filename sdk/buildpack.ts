import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ArgsOf, BuildpackInfo, commonInputs, ConditionOutput, imageReference, internalInputs, namespaceInput, objectName } from "./common";
import { KpackResource } from "./resource";
import { oneServiceAccount, registryServiceAccountSchema } from "./serviceAccount";

/**
 * Buildpack (kpack.io/v1alpha2, namespaced): one buildpackage image whose
 * buildpacks the Builders of its namespace may use, by id or by naming this
 * object in their order.
 */
export const buildpackSchema = z
  .object({
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
  })
  .strict()
  .superRefine(oneServiceAccount("serviceAccountName"));

/** Checked inputs as the provider sees them. */
export const buildpackInputs = buildpackSchema.extend({ ...internalInputs, autoNamed: z.boolean().optional() }).strict();
export type BuildpackInputs = z.infer<typeof buildpackInputs>;

export type BuildpackArgs = ArgsOf<typeof buildpackSchema>;

// namespace is seeded too: the provider reports the namespace it wrote to even when none was given.
const outputKeys = ["namespace", "ready", "buildpacks", "conditions"] as const;

export class Buildpack extends KpackResource {
  readonly kpackKind = "Buildpack" as const;
  /** Namespace of the Buildpack. */
  declare readonly namespace: pulumi.Output<string>;
  declare readonly image: pulumi.Output<string>;
  /** True once kpack reports Ready at the current generation. */
  declare readonly ready: pulumi.Output<boolean>;
  /** The buildpacks kpack found in the image (status.buildpacks), as id and version. */
  declare readonly buildpacks: pulumi.Output<BuildpackInfo[] | undefined>;
  declare readonly conditions: pulumi.Output<ConditionOutput[] | undefined>;

  constructor(name: string, args: BuildpackArgs, opts?: pulumi.CustomResourceOptions) {
    super("Buildpack", name, args, outputKeys, opts);
  }
}
