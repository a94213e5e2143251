import { clusterBuilderInputs, ClusterBuilderInputs } from "../sdk/clusterBuilder";
import { clusterAccessFor } from "./access";
import { builderOutputs, builderReadiness, builderSpec } from "./builder";
import type { KindDefinition } from "./engine";

/** Its serviceAccountRef: the one given, or a managed one (and its objects). The schema requires one of them. */
function access(a: ClusterBuilderInputs) {
  return clusterAccessFor("ClusterBuilder", a.name!, a.serviceAccountRef, a.managedServiceAccount);
}

export const clusterBuilder: KindDefinition<ClusterBuilderInputs> = {
  kind: "ClusterBuilder",
  apiVersion: "kpack.io/v1alpha2",
  namespaced: false,
  schema: clusterBuilderInputs,
  maxNameLength: 253,
  replaceOn: [],
  defaultTimeoutSeconds: 600,
  manifest: (a) => ({
    spec: { ...builderSpec(a), serviceAccountRef: access(a).ref },
  }),
  companions: (a) => access(a).objects,
  outputs: builderOutputs,
  readiness: builderReadiness,
};
