import { clusterStackInputs, ClusterStackInputs } from "../sdk/clusterStack";
import { clusterAccessFor } from "./access";
import { readyCondition, status } from "./conditions";
import type { KindDefinition } from "./engine";
import { compact } from "./values";

interface ClusterStackStatus {
  buildImage?: { latestImage?: string };
  runImage?: { latestImage?: string };
  mixins?: string[];
  userId?: number;
  groupId?: number;
}

/** Its serviceAccountRef: the one given, or a managed one (and its objects). */
function access(a: ClusterStackInputs) {
  return clusterAccessFor("ClusterStack", a.name!, a.serviceAccountRef, a.managedServiceAccount);
}

export const clusterStack: KindDefinition<ClusterStackInputs> = {
  kind: "ClusterStack",
  apiVersion: "kpack.io/v1alpha2",
  namespaced: false,
  schema: clusterStackInputs,
  maxNameLength: 253,
  replaceOn: [],
  defaultTimeoutSeconds: 300,
  manifest: (a) => ({
    spec: compact({
      id: a.stackId,
      buildImage: { image: a.buildImage },
      runImage: { image: a.runImage },
      serviceAccountRef: access(a).ref,
    }),
  }),
  companions: (a) => access(a).objects,
  outputs: (obj) => {
    const s = status(obj) as ClusterStackStatus & ReturnType<typeof status>;
    return {
      ready: readyCondition(obj).state === "ready",
      resolvedBuildImage: s.buildImage?.latestImage,
      resolvedRunImage: s.runImage?.latestImage,
      mixins: s.mixins,
      userId: s.userId,
      groupId: s.groupId,
      conditions: s.conditions ?? [],
    };
  },
  readiness: readyCondition,
};
