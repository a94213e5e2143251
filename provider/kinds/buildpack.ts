import type { BuildpackInfo } from "../../schema/common";
import { buildpack as schema, BuildpackInputs } from "../../schema/buildpack";
import { accessFor } from "../access";
import { readyCondition, status } from "../conditions";
import { defineKind } from "../kind";
import type { KubeObject } from "../kube/objects";
import { compact } from "../values";

/** `{id, version, homepage?}` of each entry of a kpack buildpack list (status.buildpacks, status.builderMetadata). */
export function buildpackList(list: unknown): BuildpackInfo[] | undefined {
  if (!Array.isArray(list)) return undefined;
  return list
    .filter(
      (b): b is { id: string; version?: string; homepage?: string } => !!b && typeof b === "object" && typeof (b as { id?: unknown }).id === "string",
    )
    .map((b) => compact({ id: b.id, version: b.version ?? "", homepage: b.homepage || undefined }));
}

/** Outputs of the kinds whose status is a Ready condition plus a buildpack list. */
export function buildpackOutputs(obj: KubeObject): Record<string, unknown> {
  const s = status(obj) as ReturnType<typeof status> & { buildpacks?: unknown };
  return {
    ready: readyCondition(obj).state === "ready",
    buildpacks: buildpackList(s.buildpacks),
    conditions: s.conditions ?? [],
  };
}

/** Its ServiceAccount: the one named, a managed one (and its objects), or `default`. */
function access(a: BuildpackInputs) {
  return accessFor({ kind: "Buildpack", name: a.name!, namespace: a.namespace! }, a.serviceAccountName, a.managedServiceAccount);
}

export const buildpack = defineKind<BuildpackInputs>({
  kind: "Buildpack",
  namespaced: true,
  schema,
  maxNameLength: 253,
  manifest: (a) => ({
    spec: {
      image: a.image,
      // kpack's webhook would default it; it does not run everywhere, so write it.
      serviceAccountName: access(a).name,
    },
  }),
  companions: (a) => access(a).objects,
  outputs: buildpackOutputs,
});
