import { clusterStoreInputs, ClusterStoreInputs } from "../sdk/clusterStore";
import { clusterAccessFor } from "./access";
import { buildpackOutputs } from "./buildpack";
import { readyCondition } from "./conditions";
import type { KindDefinition } from "./engine";
import { compact } from "./values";

/** Its serviceAccountRef: the one given, or a managed one (and its objects). */
function access(a: ClusterStoreInputs) {
  return clusterAccessFor("ClusterStore", a.name!, a.serviceAccountRef, a.managedServiceAccount);
}

export const clusterStore: KindDefinition<ClusterStoreInputs> = {
  kind: "ClusterStore",
  apiVersion: "kpack.io/v1alpha2",
  namespaced: false,
  schema: clusterStoreInputs,
  maxNameLength: 253,
  replaceOn: [],
  defaultTimeoutSeconds: 300,
  manifest: (a) => ({
    spec: compact({
      sources: a.sources.map((s) => ({ image: s.image })),
      serviceAccountRef: access(a).ref,
    }),
  }),
  companions: (a) => access(a).objects,
  outputs: buildpackOutputs,
  readiness: readyCondition,
};
