import { image as schema, ImageInputs } from "../../../schema/image";
import { accessFor } from "../../access";
import { defineKind } from "../../kind";
import { compact } from "../../values";
import { awaitImage, awaitPredecessorBuilds } from "./await";
import { describeImageChange } from "./build-plan";
import { imageOutputs } from "./status";
import { readProvenance, refreshLine } from "./provenance";
import { apiMessage, get, FIELD_MANAGER } from "../../kube/objects";
import * as k8s from "@kubernetes/client-node";
import { Cache, cacheReplacementPatch, cacheTransitionProblems, liveVolumeConflict } from "./cache";

/** Which cache the inputs ask for, by kind: none, volume or registry. */
const cacheKind = (c: Cache | undefined) => (c?.volume ? "volume" : c?.registry ? "registry" : "none");

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
  moreOutputs: readProvenance,
  describeRefresh: refreshLine,
  await: awaitImage,
  beforeCreate: awaitPredecessorBuilds,
  // `pulumi preview` tells whether a change builds, and why.
  describeChange: describeImageChange,
  // kpack never shrinks a volume cache nor moves it to another StorageClass (cache.ts).
  transitionProblems: (olds, news) => cacheTransitionProblems((olds as Partial<ImageInputs>).cache, news.cache),
  // A cache the program now sets may meet one kpack's webhook defaulted, which no field manager owns.
  async beforeApply({ k, obj, args, previous, label }) {
    if (!args.cache || (previous && cacheKind(previous.cache) === cacheKind(args.cache))) return;
    const live = await get(k, { apiVersion: obj.apiVersion!, kind: obj.kind!, name: obj.metadata!.name!, namespace: obj.metadata!.namespace });
    const conflict = liveVolumeConflict(live, args.cache);
    if (conflict) throw new Error(`${label}: ${conflict}. Nothing was changed.`);
    const patch = cacheReplacementPatch(live, args.cache);
    if (!patch) return;
    await k.objects
      .patch({ ...obj, ...patch, spec: patch.spec }, undefined, undefined, FIELD_MANAGER, undefined, k8s.PatchStrategy.MergePatch)
      .catch((e: unknown) => {
        throw new Error(`${label}: replacing its cache failed: ${apiMessage(e)}.`);
      });
  },
});
