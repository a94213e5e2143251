import { clusterBuildpack as schema, ClusterBuildpackInputs } from "../../schema/cluster-buildpack";
import { clusterAccessFor } from "../access";
import { buildpackOutputs } from "./buildpack";
import { defineKind } from "../kind";
import { compact } from "../values";

/** Its serviceAccountRef: the one given, or a managed one (and its objects). */
function access(a: ClusterBuildpackInputs) {
  return clusterAccessFor("ClusterBuildpack", a.name!, a.serviceAccountRef, a.managedServiceAccount);
}

export const clusterBuildpack = defineKind<ClusterBuildpackInputs>({
  kind: "ClusterBuildpack",
  namespaced: false,
  schema,
  maxNameLength: 253,
  manifest: (a) => ({
    spec: compact({
      image: a.image,
      serviceAccountRef: access(a).ref,
    }),
  }),
  companions: (a) => access(a).objects,
  outputs: buildpackOutputs,
});
