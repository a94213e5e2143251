import type { KubeObject } from "./kube/objects";

/**
 * kpack's status vocabulary and the readiness every kind shares (kpack keeps
 * the same helpers in pkg/apis/core/v1alpha1). A kind's readiness is pending
 * until kpack has observed the current generation.
 */

/** Condition types kpack writes. */
export const CONDITION = {
  Ready: "Ready",
  /** Builders: the last reconcile of the current spec succeeded. */
  UpToDate: "UpToDate",
  /** Builds: the build pod finished (True) or failed (False). */
  Succeeded: "Succeeded",
} as const;

/** Reasons of an Image's Ready condition that decide a wait (pkg/reconciler/image/reconcile_build.go). */
export const IMAGE_REASON = {
  /** Ready=False: the last Build failed, and kpack saw no reason for another. */
  buildFailed: "BuildFailed",
} as const;

/** Labels and annotations kpack puts on Builds. */
export const BUILD_LABEL = {
  image: "image.kpack.io/image",
  buildNumber: "image.kpack.io/buildNumber",
} as const;
export const BUILD_ANNOTATION = {
  reason: "image.kpack.io/reason",
  /** Set on an Image's newest Build to ask for one more build (`kp image trigger`). */
  additionalBuildNeeded: "image.kpack.io/additionalBuildNeeded",
} as const;

export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
}

export type Readiness = { state: "ready" } | { state: "pending"; message: string } | { state: "failed"; message: string };

interface StatusWithConditions {
  observedGeneration?: number;
  conditions?: Condition[];
}

export function status(obj: KubeObject | undefined): StatusWithConditions {
  const s = obj?.status;
  return s && typeof s === "object" ? s : {};
}

export function condition(obj: KubeObject | undefined, type: string): Condition | undefined {
  return status(obj).conditions?.find((c) => c.type === type);
}

/** True once the controller has reconciled the object's current spec. */
export function observedCurrent(obj: KubeObject): boolean {
  const observed = status(obj).observedGeneration;
  return observed !== undefined && observed >= (obj.metadata?.generation ?? 0);
}

/** "Reason: message" of a condition, or the fallback when it gives neither. */
export function explain(c: Condition | undefined, fallback = "no reason given"): string {
  return (c && [c.reason, c.message].filter(Boolean).join(": ")) || fallback;
}

/** Ready=True at the current generation is ready; Ready=False there is failed. */
export function readyCondition(obj: KubeObject): Readiness {
  if (!observedCurrent(obj)) {
    return { state: "pending", message: `waiting for kpack to observe generation ${obj.metadata?.generation ?? 0}` };
  }
  const ready = condition(obj, CONDITION.Ready);
  if (!ready) return { state: "pending", message: "waiting for the Ready condition" };
  if (ready.status === "True") return { state: "ready" };
  if (ready.status === "False") return { state: "failed", message: explain(ready) };
  return { state: "pending", message: `Ready is Unknown (${explain(ready)})` };
}
