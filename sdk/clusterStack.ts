import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ArgsOf, commonInputs, imageReference, internalInputs, serviceAccountRef } from "./common";
import { KpackResource } from "./resource";
import { clusterServiceAccountSchema, oneServiceAccount } from "./serviceAccount";

/**
 * ClusterStack (kpack.io/v1alpha2, cluster-scoped): the build and run base
 * images every builder on that stack uses. kpack resolves both tags to digests
 * and checks that they carry `io.buildpacks.stack.id` equal to `stackId`.
 */
export const clusterStackSchema = z
  .object({
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
  })
  .strict()
  .superRefine(oneServiceAccount("serviceAccountRef"));

/** Checked inputs as the provider sees them. */
export const clusterStackInputs = clusterStackSchema.extend({ ...internalInputs, autoNamed: z.boolean().optional() }).strict();
export type ClusterStackInputs = z.infer<typeof clusterStackInputs>;

export type ClusterStackArgs = ArgsOf<typeof clusterStackSchema>;

const outputKeys = ["ready", "resolvedBuildImage", "resolvedRunImage", "mixins", "userId", "groupId", "conditions"] as const;

export class ClusterStack extends KpackResource {
  /** Marks the kind, so a ClusterStack can be passed where a stack name is expected (see sdk/refs.ts). */
  readonly kpackKind = "ClusterStack" as const;
  declare readonly stackId: pulumi.Output<string>;
  declare readonly buildImage: pulumi.Output<string>;
  declare readonly runImage: pulumi.Output<string>;
  /** True once kpack reports Ready at the current generation. */
  declare readonly ready: pulumi.Output<boolean>;
  /** The build image kpack resolved, digest-pinned (status.buildImage.latestImage). */
  declare readonly resolvedBuildImage: pulumi.Output<string | undefined>;
  /** The run image kpack resolved, digest-pinned (status.runImage.latestImage). */
  declare readonly resolvedRunImage: pulumi.Output<string | undefined>;
  declare readonly mixins: pulumi.Output<string[] | undefined>;
  declare readonly userId: pulumi.Output<number | undefined>;
  declare readonly groupId: pulumi.Output<number | undefined>;
  declare readonly conditions: pulumi.Output<{ type: string; status: string; reason?: string; message?: string }[] | undefined>;

  constructor(name: string, args: ClusterStackArgs, opts?: pulumi.CustomResourceOptions) {
    super("ClusterStack", name, args, outputKeys, opts);
  }
}
