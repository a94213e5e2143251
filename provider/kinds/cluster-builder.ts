import { clusterBuilder as schema, ClusterBuilderInputs } from "../../schema/cluster-builder";
import { clusterAccessFor } from "../access";
import { awaitReady } from "../kind";
import { builderOutputs, builderReadiness, builderSpec } from "./builder";
import { defineKind } from "../kind";

/** Its serviceAccountRef: the one given, or a managed one (and its objects). The schema requires one of them. */
function access(a: ClusterBuilderInputs) {
  return clusterAccessFor("ClusterBuilder", a.name!, a.serviceAccountRef, a.managedServiceAccount);
}

export const clusterBuilder = defineKind<ClusterBuilderInputs>({
  kind: "ClusterBuilder",
  namespaced: false,
  schema,
  maxNameLength: 253,
  manifest: (a) => ({
    spec: { ...builderSpec(a), serviceAccountRef: access(a).ref },
  }),
  companions: (a) => access(a).objects,
  outputs: builderOutputs,
  await: awaitReady(builderReadiness),
});
