import { clusterLifecycle as schema, ClusterLifecycleInputs } from "../../schema/cluster-lifecycle";
import { clusterAccessFor } from "../access";
import { readyCondition, status } from "../conditions";
import { defineKind } from "../kind";
import { compact } from "../values";

interface ClusterLifecycleStatus {
  image?: { latestImage?: string; image?: string };
  version?: string;
  api?: { buildpack?: string; platform?: string };
  apis?: {
    buildpack?: { deprecated?: string[] | null; supported?: string[] | null };
    platform?: { deprecated?: string[] | null; supported?: string[] | null };
  };
}

// kpack writes `null` for an empty API set (Go nil slices); outputs carry no nulls.
function apiSet(s: { deprecated?: string[] | null; supported?: string[] | null } | undefined) {
  return s ? { deprecated: s.deprecated ?? [], supported: s.supported ?? [] } : undefined;
}

/** Its serviceAccountRef: the one given, or a managed one (and its objects). */
function access(a: ClusterLifecycleInputs) {
  return clusterAccessFor("ClusterLifecycle", a.name!, a.serviceAccountRef, a.managedServiceAccount);
}

export const clusterLifecycle = defineKind<ClusterLifecycleInputs>({
  kind: "ClusterLifecycle",
  namespaced: false,
  schema,
  maxNameLength: 253,
  manifest: (a) => ({
    spec: compact({
      image: a.image,
      serviceAccountRef: access(a).ref,
    }),
  }),
  companions: (a) => access(a).objects,
  outputs: (obj) => {
    const s = status(obj) as ClusterLifecycleStatus & ReturnType<typeof status>;
    return {
      ready: readyCondition(obj).state === "ready",
      resolvedImage: s.image?.latestImage || undefined,
      version: s.version || undefined,
      api:
        s.api && (s.api.buildpack || s.api.platform)
          ? compact({ buildpack: s.api.buildpack || undefined, platform: s.api.platform || undefined })
          : undefined,
      apis: s.apis ? compact({ buildpack: apiSet(s.apis.buildpack), platform: apiSet(s.apis.platform) }) : undefined,
      conditions: s.conditions ?? [],
    };
  },
});
