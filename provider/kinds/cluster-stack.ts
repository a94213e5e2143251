import { clusterStack as schema, ClusterStackInputs } from "../../schema/cluster-stack";
import { clusterAccessFor } from "../access";
import { readyCondition, status } from "../conditions";
import { defineKind } from "../kind";
import { compact } from "../values";

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

export const clusterStack = defineKind<ClusterStackInputs>({
  kind: "ClusterStack",
  namespaced: false,
  schema,
  maxNameLength: 253,
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
});
