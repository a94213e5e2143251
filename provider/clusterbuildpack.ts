import { clusterBuildpackInputs, ClusterBuildpackInputs } from "../sdk/clusterBuildpack";
import { buildpackOutputs } from "./buildpack";
import { readyCondition } from "./conditions";
import type { KindDefinition } from "./engine";
import { compact } from "./values";

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
      serviceAccountRef: a.serviceAccountRef,
    }),
  }),
  outputs: buildpackOutputs,
  readiness: readyCondition,
};
