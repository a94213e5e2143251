import { builder as schema, BuilderInputs, DEFAULT_LIFECYCLE } from "../../schema/builder";
import { accessFor, registryAuthHint } from "../access";
import { buildpackList } from "./buildpack";
import { condition, CONDITION, observedCurrent, Readiness, readyCondition, status } from "../conditions";
import { awaitReady, defineKind } from "../kind";
import type { KubeObject } from "../kube/objects";
import { compact, Props } from "../values";

/**
 * Builder and ClusterBuilder share their spec (but for the service account),
 * status, outputs and readiness: the pure parts of both live here.
 */

interface BuilderStatus {
  latestImage?: string;
  builderMetadata?: unknown;
  stack?: { id?: string; runImage?: string };
}

type SharedSpecInputs = Pick<BuilderInputs, "tag" | "stack" | "store" | "lifecycle" | "additionalLabels"> & {
  order: Array<{ group: Array<{ id?: string; version?: string; optional?: boolean; kind?: string; name?: string }> }>;
};

/**
 * The spec both kinds share, with every default written out: kpack's
 * defaulting webhook does not run everywhere (and a ClusterBuilder gets no
 * stack kind from it at all).
 */
export function builderSpec(a: SharedSpecInputs): Props {
  return compact({
    tag: a.tag,
    stack: { kind: "ClusterStack", name: a.stack },
    store: a.store === undefined ? undefined : { kind: "ClusterStore", name: a.store },
    lifecycle: { kind: "ClusterLifecycle", name: a.lifecycle ?? DEFAULT_LIFECYCLE },
    order: a.order.map((g) => ({
      group: g.group.map((e) => compact({ kind: e.kind, name: e.name, id: e.id, version: e.version, optional: e.optional })),
    })),
    additionalLabels: a.additionalLabels,
  });
}

/**
 * Dependency problems kpack retries on its own as soon as the dependency
 * changes (it tracks the stack, store and lifecycle): a builder created in the
 * same program as its stack, by name, sees these briefly. They keep the wait
 * pending (and show in the timeout message) instead of failing it.
 */
const WAITING_ON_DEPENDENCY = [
  /^Error: (clusterstack|clusterlifecycle) '[^']*' is not ready$/,
  /^(clusterstack|clusterstore|clusterlifecycle)\.kpack\.io "[^"]*" not found$/,
];

/**
 * Ready=True at the current generation. kpack's builder reconciler writes
 * UpToDate=False (ReconcileFailed) when the current spec could not be built,
 * while Ready stays True if an older builder image exists: so UpToDate=False
 * at the current generation fails the wait with its message, unless it only
 * waits on a stack, store or lifecycle kpack will retry.
 */
export function builderReadiness(obj: KubeObject): Readiness {
  if (!observedCurrent(obj)) return readyCondition(obj);
  const upToDate = condition(obj, CONDITION.UpToDate);
  if (upToDate?.status === "False") {
    const message = upToDate.message ?? "";
    if (WAITING_ON_DEPENDENCY.some((re) => re.test(message))) return { state: "pending", message: `kpack waits for a dependency: ${message}` };
    const failure = [upToDate.reason, message].filter(Boolean).join(": ") || "UpToDate is False";
    return { state: "failed", message: `${failure}${registryAuthHint(obj, failure)}` };
  }
  return readyCondition(obj);
}

export function builderOutputs(obj: KubeObject): Props {
  const s = status(obj) as BuilderStatus & ReturnType<typeof status>;
  const stack =
    s.stack && (s.stack.id || s.stack.runImage) ? compact({ id: s.stack.id || undefined, runImage: s.stack.runImage || undefined }) : undefined;
  return {
    ready: readyCondition(obj).state === "ready",
    upToDate: observedCurrent(obj) && condition(obj, CONDITION.UpToDate)?.status === "True",
    // Empty until kpack has built the builder image (seen only with skipAwait).
    latestImage: s.latestImage ?? "",
    buildpacks: buildpackList(s.builderMetadata),
    resolvedStack: stack,
    conditions: s.conditions ?? [],
  };
}

/** The Builder's ServiceAccount: the one named, a managed one (and its objects), or `default`. */
function builderAccess(a: BuilderInputs) {
  return accessFor({ kind: "Builder", name: a.name!, namespace: a.namespace! }, a.serviceAccountName, a.managedServiceAccount);
}

export const builder = defineKind<BuilderInputs>({
  kind: "Builder",
  namespaced: true,
  schema,
  maxNameLength: 253,
  manifest: (a) => ({
    spec: { ...builderSpec(a), serviceAccountName: builderAccess(a).name },
  }),
  companions: (a) => builderAccess(a).objects,
  outputs: builderOutputs,
  await: awaitReady(builderReadiness),
});
