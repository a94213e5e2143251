import { clusterStore as schema, ClusterStoreInputs } from "../../schema/cluster-store";
import { clusterAccessFor } from "../access";
import { buildpackOutputs } from "./buildpack";
import { defineKind } from "../kind";
import { compact } from "../values";

/** Its serviceAccountRef: the one given, or a managed one (and its objects). */
function access(a: ClusterStoreInputs) {
  return clusterAccessFor("ClusterStore", a.name!, a.serviceAccountRef, a.managedServiceAccount);
}

export const clusterStore = defineKind<ClusterStoreInputs>({
  kind: "ClusterStore",
  namespaced: false,
  schema,
  maxNameLength: 253,
  manifest: (a) => ({
    spec: compact({
      sources: a.sources.map((s) => ({ image: s.image })),
      serviceAccountRef: access(a).ref,
    }),
  }),
  companions: (a) => access(a).objects,
  outputs: buildpackOutputs,
});
