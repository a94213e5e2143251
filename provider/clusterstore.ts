import { clusterStoreInputs, ClusterStoreInputs } from "../sdk/clusterStore";
import { buildpackOutputs } from "./buildpack";
import { readyCondition } from "./conditions";
import type { KindDefinition } from "./engine";
import { compact } from "./values";

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
      serviceAccountRef: a.serviceAccountRef,
    }),
  }),
  outputs: buildpackOutputs,
  readiness: readyCondition,
};
