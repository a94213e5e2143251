import { clusterBuilderInputs, ClusterBuilderInputs } from "../sdk/clusterBuilder";
import { builderOutputs, builderReadiness, builderSpec } from "./builder";
import type { KindDefinition } from "./engine";

export const clusterBuilder: KindDefinition<ClusterBuilderInputs> = {
  kind: "ClusterBuilder",
  apiVersion: "kpack.io/v1alpha2",
  namespaced: false,
  schema: clusterBuilderInputs,
  maxNameLength: 253,
  replaceOn: [],
  defaultTimeoutSeconds: 600,
  manifest: (a) => ({
    spec: { ...builderSpec(a), serviceAccountRef: { name: a.serviceAccountRef.name, namespace: a.serviceAccountRef.namespace } },
  }),
  outputs: builderOutputs,
  readiness: builderReadiness,
};
