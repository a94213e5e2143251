import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";

/**
 * Pieces every kpack kind shares: Kubernetes name rules, image references,
 * cluster access and wait controls, and the mapping from a zod schema to the
 * Pulumi Input type of a resource's args.
 */

/** What the engine sends for a value not known until apply (preview of a computed input). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A Kubernetes object name (DNS-1123 subdomain). */
export const objectName = z
  .string()
  .max(253, "must be at most 253 characters")
  .regex(DNS1123_SUBDOMAIN, "must be lower-case letters, digits, '-' and '.', starting and ending with a letter or digit");

/** A name that also appears as a label value (at most 63 characters). */
export const labelSafeName = z
  .string()
  .max(63, "must be at most 63 characters (kpack copies it into label values)")
  .regex(DNS1123_SUBDOMAIN, "must be lower-case letters, digits, '-' and '.', starting and ending with a letter or digit");

export const namespaceName = z
  .string()
  .max(63, "must be at most 63 characters")
  .regex(DNS1123_LABEL, "must be lower-case letters, digits and '-', starting and ending with a letter or digit");

// registry[:port]/path[:tag][@digest], the grammar of distribution/reference, simplified.
const IMAGE_REF = /^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/** An OCI image reference such as `registry.example.com/team/app:tag` or `…@sha256:…`. */
export const imageReference = z
  .string()
  .min(1, "must not be empty")
  .regex(IMAGE_REF, "must be an image reference such as registry.example.com/team/app:tag");

/** Reference to a ServiceAccount from a cluster-scoped kind. */
export const serviceAccountRef = z
  .object({
    name: objectName,
    namespace: namespaceName,
  })
  .strict();

/** Inputs every kpack resource takes besides its spec. */
export const commonInputs = {
  /** Name of the kpack object. Default: the Pulumi name plus a random suffix. */
  name: objectName.optional(),
  /** Kubeconfig contents. Default: KUBECONFIG or ~/.kube/config, read by the provider at run time. Stored as a secret. */
  kubeconfig: z.string().optional(),
  /** Kubeconfig context. Default: the kubeconfig's current-context. */
  context: z.string().optional(),
  /** Do not wait for kpack to report the object ready. */
  skipAwait: z.boolean().optional(),
  /** How long create/update waits for readiness, in seconds (Pulumi's customTimeouts do not reach dynamic providers). */
  timeoutSeconds: z.number().int().positive().max(24 * 3600).optional(),
};

/** Keys the SDK adds to every resource's inputs; never set by users. */
export const internalInputs = {
  /** The Pulumi logical name, for auto-naming and messages. */
  logicalName: z.string(),
  /** Version of pulumi-kpack that wrote the inputs: a change updates every resource, so fixes reach stored state. */
  providerVersion: z.string(),
};

/** Deep Pulumi Input of a plain args type: every field, at every depth, may be an Input. */
export type Inputs<T> = T extends string | number | boolean | undefined | null
  ? pulumi.Input<T>
  : T extends ReadonlyArray<infer U>
    ? pulumi.Input<ReadonlyArray<Inputs<U>>>
    : T extends object
      ? pulumi.Input<{ [K in keyof T]: Inputs<T[K]> }>
      : pulumi.Input<T>;

/** Args type of a resource: the schema's type with Inputs at each level, minus the SDK-internal keys. */
export type ArgsOf<S extends z.ZodType> = { [K in keyof Omit<z.input<S>, keyof typeof internalInputs>]: Inputs<z.input<S>[K]> };
