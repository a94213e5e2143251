import { image as schema, ImageInputs } from "../../../schema/image";
import { accessFor } from "../../access";
import { defineKind } from "../../kind";
import { compact } from "../../values";
import { awaitImage, awaitPredecessorBuilds } from "./await";
import { describeImageChange } from "./build-plan";
import { imageOutputs } from "./status";

/**
 * Image: the kind's definition. Its home holds the rest of the Image:
 * status.ts (pure outputs and wait decisions), await.ts (the wait for the
 * Build of the written generation), trigger.ts (asking kpack for a rebuild),
 * build-plan.ts (pure: whether a change builds, for preview).
 */

/** The Image's ServiceAccount: the one named, a managed one (and its objects), or `default`. */
function imageAccess(a: ImageInputs) {
  return accessFor({ kind: "Image", name: a.name!, namespace: a.namespace! }, a.serviceAccountName, a.managedServiceAccount);
}

export const image = defineKind<ImageInputs>({
  kind: "Image",
  namespaced: true,
  schema,
  // kpack copies the Image name into label values (image.kpack.io/image on Builds and pods).
  maxNameLength: 63,
  // kpack's webhook rejects a tag change; a new tag is a new Image.
  replaceOn: ["tag"],
  manifest: (a) => ({
    // Every default kpack's webhook would add is written out (it does not run everywhere).
    spec: compact({
      tag: a.tag,
      additionalTags: a.additionalTags,
      builder: { kind: a.builder.kind, name: a.builder.name },
      serviceAccountName: imageAccess(a).name,
      source: a.source,
      cache: a.cache,
      failedBuildHistoryLimit: a.failedBuildHistoryLimit ?? 10,
      successBuildHistoryLimit: a.successBuildHistoryLimit ?? 10,
      imageTaggingStrategy: a.imageTaggingStrategy ?? "BuildNumber",
      build: a.build,
      projectDescriptorPath: a.projectDescriptorPath,
      defaultProcess: a.defaultProcess,
      cosign: a.cosign,
    }),
  }),
  companions: (a) => imageAccess(a).objects,
  outputs: imageOutputs,
  await: awaitImage,
  beforeCreate: awaitPredecessorBuilds,
  // `pulumi preview` tells whether a change builds, and why.
  describeChange: describeImageChange,
});
