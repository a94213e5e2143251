import type { ImageInputs } from "../../../schema/image";
import { KPACK_API_VERSION } from "../../../schema/common";
import { BUILD_LABEL, condition, CONDITION, status } from "../../conditions";
import type { AwaitContext } from "../../kind";
import type { KubeObject } from "../../kube/objects";
import { notObservedAdvice, TimeoutError } from "../../wait-policy";
import { buildProgress, buildToWatch, builderChanged, builderRebuild, failedStep, imageWait, stepFailureDetail } from "./status";
import { askForBuild, builderChangeValue, triggerIfAsked } from "./trigger";

/**
 * Image create/update wait, as `kp image … --wait` does it: watch the Image
 * until kpack has observed the generation written; when that generation made
 * a Build, watch that Build (showing its steps as they complete) until it
 * ends; then the Image again until it records the Build's image. Two
 * additions: a changed triggerBuild asks for a build first (trigger.ts), and
 * a changed builder asks for one once kpack has decided to build none
 * (rebuildOnBuilderChange). Decisions are the pure imageWait() and
 * builderRebuild() (status.ts); this is only the I/O around them, over ctx.io,
 * which unit tests drive with recorded and hand-built events.
 */
export async function awaitImage(ctx: AwaitContext<ImageInputs>): Promise<KubeObject> {
  const G = ctx.generation;
  let minBuild = await triggerIfAsked(ctx);
  // A builder change kpack may not build for (kpack #1198); a triggered build already covers it.
  let builderPending = minBuild === 0 && ctx.args.rebuildOnBuilderChange !== false && builderChanged(ctx.previous?.builder, ctx.args.builder);
  let build: KubeObject | undefined;
  let lastImage: KubeObject | undefined;
  let failure: string | undefined;
  // A build found already finished would otherwise be reported twice ("… succeeded") in the diagnostics.
  let lastSaid = "";
  const sayBuild = (b: KubeObject) => {
    const line = `${ctx.label}: ${buildProgress(b)}`;
    if (line !== lastSaid) ctx.progress.info((lastSaid = line));
  };
  const timedOut = (e: unknown) => {
    if (!(e instanceof TimeoutError)) return e;
    const state = lastImage ? imageWait(lastImage, build, G, minBuild) : undefined;
    const last = [state?.state === "pending" ? state.message : undefined, build?.status ? buildProgress(build) : undefined]
      .filter(Boolean)
      .join(". ");
    const toCheck = lastImage ? notObservedAdvice(G, status(lastImage).observedGeneration) : undefined;
    return new TimeoutError(ctx.label, "for its build", ctx.deadline.budgetMs, last || undefined, e.watchError, toCheck);
  };
  for (;;) {
    let needBuild: string | undefined;
    let askBuild = false;
    const after = ctx.resourceVersion;
    const img = await ctx.io
      .waitUntil(
        ctx.ref,
        (o) => {
          if (!o) return true;
          lastImage = o;
          if (builderPending) {
            const decision = builderRebuild(o, G);
            if (decision === "trigger") {
              askBuild = true;
              return true;
            }
            if (decision === "none") builderPending = false;
          }
          const wanted = buildToWatch(o, G, minBuild);
          if (wanted && wanted !== build?.metadata?.name) {
            needBuild = wanted;
            return true;
          }
          const r = imageWait(o, build, G, minBuild);
          if (r.state === "pending") ctx.progress.status(r.message);
          if (r.state === "failed") failure = r.message;
          return r.state !== "pending";
        },
        ctx.deadline,
        "for the Image to be built",
        after,
      )
      .catch((e: unknown) => {
        throw timedOut(e);
      });
    if (!img) throw new Error(`${ctx.label}: it was deleted while waiting for its build.`);
    if (askBuild) {
      builderPending = false;
      const b = ctx.args.builder;
      minBuild = await askForBuild(ctx, builderChangeValue(b));
      if (minBuild) {
        ctx.progress.info(
          `${ctx.label}: builder changed to ${b.kind} ${b.name}, and kpack started no build (its buildpacks, stack and lifecycle are those of the last build: kpack #1198); asked kpack for build #${minBuild}`,
        );
      }
      continue;
    }
    if (failure !== undefined) throw new Error(`${ctx.label}: ${failure}.${await stepDetail(ctx, build)}`);
    if (!needBuild) return img;

    const ref = { apiVersion: KPACK_API_VERSION, kind: "Build", name: needBuild, namespace: ctx.ref.namespace };
    const placeholder: KubeObject = { apiVersion: ref.apiVersion, kind: "Build", metadata: { name: needBuild } };
    build = await ctx.io.get(ref);
    if (!build) {
      // Pruned by the history limit already, or not yet visible: the Image's own status decides.
      build = placeholder;
      continue;
    }
    sayBuild(build);
    const buildVersion = build.metadata?.resourceVersion;
    build =
      (await ctx.io
        .waitUntil(
          ref,
          (b) => {
            if (b) {
              // Kept for the timeout message: the steps the build had reached.
              build = b;
              ctx.progress.status(buildProgress(b));
            }
            return !b || ["True", "False"].includes(condition(b, CONDITION.Succeeded)?.status ?? "");
          },
          ctx.deadline,
          `for Build ${needBuild} to finish`,
          buildVersion,
        )
        .catch((e: unknown) => {
          throw timedOut(e);
        })) ?? placeholder;
    sayBuild(build);
  }
}

/**
 * Before an Image is created: kpack names Builds `<image>-build-<n>`, so Builds
 * a deleted Image of the same name left for the garbage collector (a
 * replacement that keeps the name: a new tag) would clash with the new
 * Image's. Wait until they are gone. Usually there are none, and this reads
 * only the shared Build watch.
 */
export async function awaitPredecessorBuilds(ctx: Omit<AwaitContext<ImageInputs>, "generation" | "previous">): Promise<void> {
  const builds = {
    apiVersion: KPACK_API_VERSION,
    kind: "Build",
    namespace: ctx.ref.namespace,
    labelSelector: `${BUILD_LABEL.image}=${ctx.ref.name}`,
  };
  let found: KubeObject[] = [];
  await ctx.io.waitForList(builds, (items) => ((found = items), true), ctx.deadline, "for the Build watch");
  if (!found.length) return;
  // An existing Image taken over as it stands owns its Builds: only the others are a deleted predecessor's.
  const uid = (await ctx.io.get(ctx.ref))?.metadata?.uid;
  const stale = (b: KubeObject) => !uid || !b.metadata?.ownerReferences?.some((r) => r.uid === uid);
  if (!found.some(stale)) return;
  ctx.progress.status(
    `waiting for the garbage collector to remove the Builds of the deleted Image ${ctx.ref.name}, whose names the new Image's Builds take`,
  );
  await ctx.io
    .waitForList(builds, (items) => !items.some(stale), ctx.deadline, "for the Builds of the deleted Image of the same name to be removed")
    .catch((e: unknown) => {
      if (!(e instanceof TimeoutError)) throw e;
      throw e.restate(ctx.label, e.what, undefined, "Check that kube-controller-manager's garbage collector runs.");
    });
}

/** For a failed Build: which step failed and the end of its log, read off its pod (kept by kpack); "" when there is no pod to read. */
async function stepDetail(ctx: AwaitContext<ImageInputs>, build: KubeObject | undefined): Promise<string> {
  const podName = (build?.status as { podName?: string } | undefined)?.podName;
  if (!build || condition(build, CONDITION.Succeeded)?.status !== "False" || !podName) return "";
  const namespace = build.metadata?.namespace ?? ctx.ref.namespace ?? "";
  const pod = await ctx.io.get({ apiVersion: "v1", kind: "Pod", name: podName, namespace }).catch(() => undefined);
  const failed = failedStep(pod);
  if (!failed) return "";
  const log = await ctx.io.podLog?.(namespace, podName, failed.step, 40);
  return `\n${stepFailureDetail(failed, log)}`;
}
