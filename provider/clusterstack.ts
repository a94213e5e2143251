import { clusterStackInputs, ClusterStackInputs } from "../sdk/clusterStack";
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
      serviceAccountRef: a.serviceAccountRef,
    }),
  }),
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
