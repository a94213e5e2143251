import { clusterBuildpackInputs, ClusterBuildpackInputs } from "../sdk/clusterBuildpack";
import { clusterAccessFor } from "./access";
import { buildpackOutputs } from "./buildpack";
import { readyCondition } from "./conditions";
import type { KindDefinition } from "./engine";
import { compact } from "./values";

/** Its serviceAccountRef: the one given, or a managed one (and its objects). */
function access(a: ClusterBuildpackInputs) {
  return clusterAccessFor("ClusterBuildpack", a.name!, a.serviceAccountRef, a.managedServiceAccount);
}

export const clusterBuildpack: KindDefinition<ClusterBuildpackInputs> = {
  kind: "ClusterBuildpack",
  apiVersion: "kpack.io/v1alpha2",
  namespaced: false,
  schema: clusterBuildpackInputs,
  maxNameLength: 253,
  replaceOn: [],
  defaultTimeoutSeconds: 300,
  manifest: (a) => ({
    spec: compact({
      image: a.image,
      serviceAccountRef: access(a).ref,
    }),
  }),
  companions: (a) => access(a).objects,
  outputs: buildpackOutputs,
  readiness: readyCondition,
};
