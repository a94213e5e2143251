import { registryAuthHint } from "../../access";
import { BUILD_ANNOTATION, BUILD_LABEL, condition, CONDITION, explain, IMAGE_REASON, readyCondition, status } from "../../conditions";
import type { KubeObject } from "../../kube/objects";
import type { Props } from "../../values";

/**
 * Image status, pure: outputs, and where the wait for a spec change stands.
 *
 * The wait follows kp's (kpack-cli pkg/logs/wait_for_image.go, kpack.md §3),
 * as a pure function of the Image, the Build its status points at, and the
 * generation G pulumi-kpack wrote:
 *  1. pending until status.observedGeneration reaches G; failed when it is
 *     already past G ("updated before processed": someone else changed it);
 *  2. when status.latestBuildImageGeneration == G, the Build in
 *     status.latestBuildRef decides: its Succeeded condition;
 *  3. otherwise Ready=False fails;
 *  4. otherwise the result is status.latestImage.
 * Two refinements over kp: in step 4 Ready=Unknown stays pending (kp returns
 * the previous latestImage, even an empty one, while a build of an older
 * generation still runs or the source resolver is not ready); and after the
 * Build succeeds the wait goes on until the Image records that Build's image,
 * so the outputs read off the Image are the new ones.
 */

interface ImageStatus {
  observedGeneration?: number;
  latestBuildRef?: string;
  latestBuildImageGeneration?: number;
  latestImage?: string;
  latestStack?: string;
  buildCounter?: number;
  latestBuildReason?: string;
}

interface BuildStatus {
  latestImage?: string;
  podName?: string;
  stepsCompleted?: string[] | null;
}

export type ImageWait =
  | { state: "ready"; latestImage: string }
  /** `build`: the Build whose progress decides the wait (fetch it and call imageWait again). */
  | { state: "pending"; message: string; build?: string }
  | { state: "failed"; message: string };

function imageStatus(image: KubeObject): ImageStatus {
  return status(image);
}

/** The Build the wait for generation G depends on: latestBuildRef, when that build was made for G. */
export function buildToWatch(image: KubeObject, generation: number, minBuild = 0): string | undefined {
  const s = imageStatus(image);
  if ((s.observedGeneration ?? 0) !== generation || s.latestBuildImageGeneration !== generation) return undefined;
  if ((s.buildCounter ?? 0) < minBuild) return undefined;
  return s.latestBuildRef || undefined;
}

/** The Image's newest Build (highest build number; creation time breaks ties), as kp image trigger picks it. */
export function newestBuild(builds: readonly KubeObject[]): KubeObject | undefined {
  const num = (b: KubeObject) => Number(b.metadata?.labels?.[BUILD_LABEL.buildNumber] ?? 0);
  const time = (b: KubeObject) => new Date(b.metadata?.creationTimestamp ?? 0).getTime();
  return [...builds].sort((a, b) => num(b) - num(a) || time(b) - time(a))[0];
}

/** One line on where a Build stands, for progress in `pulumi up`. */
export function buildProgress(build: KubeObject): string {
  const b = (build.status ?? {}) as BuildStatus;
  const labels = build.metadata?.labels ?? {};
  const reason = build.metadata?.annotations?.[BUILD_ANNOTATION.reason];
  const number = labels[BUILD_LABEL.buildNumber];
  const head = `Build ${build.metadata?.name ?? "?"}${number ? ` (#${number}${reason ? `, ${reason}` : ""})` : ""}`;
  const succeeded = condition(build, CONDITION.Succeeded);
  if (succeeded?.status === "True") return `${head} succeeded: ${b.latestImage ?? "no image reported"}`;
  if (succeeded?.status === "False") return `${head} failed: ${explain(succeeded, "no reason given")}`;
  const steps = b.stepsCompleted?.length ? `steps done: ${b.stepsCompleted.join(", ")}` : "starting";
  return `${head} running, ${steps}`;
}

/** Step 2 with the Build at hand: its Succeeded condition decides. */
function fromBuild(image: KubeObject, build: KubeObject, ref: string): ImageWait {
  const s = imageStatus(image);
  const b = (build.status ?? {}) as BuildStatus;
  const succeeded = condition(build, CONDITION.Succeeded);
  if (succeeded?.status === "True") {
    if (!b.latestImage) return { state: "failed", message: `Build ${ref} succeeded but reports no image (its status.latestImage is empty)` };
    if (s.latestImage === b.latestImage) return { state: "ready", latestImage: b.latestImage };
    return { state: "pending", message: `Build ${ref} succeeded; waiting for kpack to record ${b.latestImage} on the Image`, build: ref };
  }
  if (succeeded?.status === "False") {
    const ns = build.metadata?.namespace ?? image.metadata?.namespace;
    const logs = b.podName ? `. Build logs: kubectl logs -n ${ns} ${b.podName} --all-containers` : "";
    const why = explain(succeeded, "no reason given");
    return { state: "failed", message: `Build ${ref} failed: ${why}${logs}${registryAuthHint(image, why)}` };
  }
  const steps = b.stepsCompleted?.length ? ` (steps done: ${b.stepsCompleted.join(", ")})` : "";
  const why = succeeded && (succeeded.reason || succeeded.message) ? `: ${explain(succeeded, "")}` : "";
  return { state: "pending", message: `Build ${ref} is running${steps}${why}`, build: ref };
}

/**
 * Where the wait for generation `generation` of `image` stands. `build` is the
 * Build named by status.latestBuildRef when the caller has it (see
 * buildToWatch); without it the Image's own Ready condition stands in for it,
 * which kpack updates when the Build finishes.
 */
export function imageWait(image: KubeObject, build: KubeObject | undefined, generation: number, minBuild = 0): ImageWait {
  const s = imageStatus(image);
  const observed = s.observedGeneration ?? 0;
  const triggered = (s.buildCounter ?? 0) < minBuild;
  if (observed < generation) {
    const then = triggered ? `, then to start build #${minBuild} (triggered)` : "";
    return { state: "pending", message: `waiting for kpack to observe generation ${generation} (it has seen ${observed})${then}` };
  }
  // After a triggered rebuild (triggerBuild), only build #minBuild or later decides.
  if (triggered && observed === generation) {
    return { state: "pending", message: `waiting for kpack to start build #${minBuild} (triggered)` };
  }
  if (observed > generation) {
    return {
      state: "failed",
      message:
        `updated before processed: kpack observed generation ${observed}, but pulumi-kpack wrote generation ${generation}, so something else changed the Image meanwhile. ` +
        `Find the other writer in metadata.managedFields, then run pulumi refresh and pulumi up again`,
    };
  }

  const ready = condition(image, CONDITION.Ready);
  if (s.latestBuildImageGeneration === generation && s.latestBuildRef) {
    const ref = s.latestBuildRef;
    if (build && build.metadata?.name === ref) return fromBuild(image, build, ref);
    if (ready?.status === "True" && s.latestImage) return { state: "ready", latestImage: s.latestImage };
    if (ready?.status === "False") {
      const why = explain(ready, `Build ${ref} failed`);
      return { state: "failed", message: `${why}${registryAuthHint(image, why)}` };
    }
    return { state: "pending", message: `waiting for Build ${ref}${ready?.reason ? ` (${explain(ready, "")})` : ""}`, build: ref };
  }

  if (ready?.status === "False") return { state: "failed", message: explain(ready, "Ready is False") };
  if (ready?.status === "True" && s.latestImage) return { state: "ready", latestImage: s.latestImage };
  if (!ready) return { state: "pending", message: "waiting for the Ready condition" };
  return { state: "pending", message: `Ready is ${ready.status} (${explain(ready, "no reason given")})` };
}

/** True when an update moves the Image to another builder (kind or name). */
export function builderChanged(previous: { kind: string; name: string } | undefined, now: { kind: string; name: string }): boolean {
  return previous !== undefined && (previous.kind !== now.kind || previous.name !== now.name);
}

/**
 * After a builder change written as generation G: whether to ask kpack for a
 * build. kpack compares the last Build with the new builder's buildpacks,
 * stack and lifecycle only (pkg/reconciler/image/build_required.go), so a
 * builder with the same ones starts no build (kpack #1198).
 *  - "wait": kpack has not decided yet: it has not observed G, or Ready is
 *    Unknown (an older build still runs, or the source is being resolved; kpack
 *    decides once that ends);
 *  - "none": nothing to ask: kpack built for G on its own
 *    (latestBuildImageGeneration == G), or cannot build with the builder (Ready
 *    False for the builder: the wait fails with kpack's reason), or something
 *    else changed the Image (observed past G);
 *  - "trigger": kpack observed G and decided on no build: Ready True (up to
 *    date with the last build, made by the old builder), or the last build failed.
 */
export function builderRebuild(image: KubeObject, generation: number): "wait" | "none" | "trigger" {
  const s = imageStatus(image);
  const observed = s.observedGeneration ?? 0;
  if (observed < generation) return "wait";
  if (observed > generation || s.latestBuildImageGeneration === generation) return "none";
  const ready = condition(image, CONDITION.Ready);
  if (!ready || ready.status === "Unknown") return "wait";
  if (ready.status === "True") return "trigger";
  return ready.reason === IMAGE_REASON.buildFailed ? "trigger" : "none";
}

/** `sha256:…` of a digest reference `repo@sha256:…`. */
export function digestOf(ref: string | undefined): string | undefined {
  const at = ref?.lastIndexOf("@") ?? -1;
  return at >= 0 ? ref!.slice(at + 1) : undefined;
}

export function imageOutputs(obj: KubeObject): Props {
  const s = imageStatus(obj);
  return {
    ready: readyCondition(obj).state === "ready",
    // Empty until the first build succeeds (seen only with skipAwait): a string, so it types as one for a Deployment.
    latestImage: s.latestImage ?? "",
    digest: digestOf(s.latestImage || undefined),
    latestBuildRef: s.latestBuildRef || undefined,
    buildCounter: s.buildCounter,
    latestBuildReason: s.latestBuildReason || undefined,
    latestStack: s.latestStack || undefined,
    latestBuildImageGeneration: s.latestBuildImageGeneration,
    conditions: status(obj).conditions ?? [],
  };
}

interface PodContainerStatus {
  name?: string;
  state?: { terminated?: { exitCode?: number; reason?: string; message?: string } };
}

/** The build step (pod container) that failed: the first init container, then main container, that ended non-zero. */
export function failedStep(pod: KubeObject | undefined): { step: string; exitCode: number; message?: string } | undefined {
  const s = (pod?.status ?? {}) as { initContainerStatuses?: PodContainerStatus[]; containerStatuses?: PodContainerStatus[] };
  for (const c of [...(s.initContainerStatuses ?? []), ...(s.containerStatuses ?? [])]) {
    const t = c.state?.terminated;
    if (t && t.exitCode !== 0 && c.name) return { step: c.name, exitCode: t.exitCode ?? -1, message: t.message || undefined };
  }
  return undefined;
}

/**
 * What a failed step said, for the `pulumi up` error: its exit code and the
 * end of its log (the lifecycle prints its ERROR lines last), ANSI colours
 * stripped. kpack's own Build message carries none of it when the step wrote
 * no termination message, which the lifecycle's steps never do.
 */
export function stepFailureDetail(failed: { step: string; exitCode: number; message?: string }, log: string | undefined, lines = 8): string {
  const tail = (log ?? "")
    // eslint-disable-next-line no-control-regex -- ESC starts the ANSI colour codes this strips
    .replace(/\x1b\[[0-9;]*m/g, "")
    .split("\n")
    .map((l) => l.trimEnd())
    .filter(Boolean)
    .slice(-lines);
  const said = tail.length ? `; its log ends:\n    ${tail.join("\n    ")}` : failed.message ? `: ${failed.message}` : "";
  return `Step ${failed.step} failed (exit code ${failed.exitCode})${said}`;
}
