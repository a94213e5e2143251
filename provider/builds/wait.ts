import type { ImageInputs } from "../../sdk/image";
import type { AwaitContext } from "../engine";
import { apiMessage, FIELD_MANAGER, get, KubeObject, waitUntil } from "../kube/objects";
import * as k8s from "@kubernetes/client-node";
import { condition } from "../conditions";
import { buildProgress, buildToWatch, imageWait, newestBuild } from "../image";

/**
 * Image create/update wait, as `kp image … --wait` does it: watch the Image
 * until kpack has observed the generation written; when that generation made
 * a Build, watch that Build (showing its steps as they complete) until it
 * ends; then the Image again until it records the Build's image. Decisions
 * are the pure imageWait(); this is only the I/O around it.
 */
export async function awaitImage(ctx: AwaitContext<ImageInputs>): Promise<KubeObject> {
  const G = ctx.generation;
  const minBuild = await triggerIfAsked(ctx);
  let build: KubeObject | undefined;
  let lastImage: KubeObject | undefined;
  let failure: string | undefined;
  for (;;) {
    let needBuild: string | undefined;
    const remaining = ctx.deadline - Date.now();
    const img = await waitUntil(ctx.kube, ctx.ref, (o) => {
      if (!o) return true;
      lastImage = o;
      const wanted = buildToWatch(o, G, minBuild);
      if (wanted && wanted !== build?.metadata?.name) {
        needBuild = wanted;
        return true;
      }
      const r = imageWait(o, build, G, minBuild);
      if (r.state === "pending") ctx.progress.status(r.message);
      if (r.state === "failed") failure = r.message;
      return r.state !== "pending";
    }, Math.max(remaining, 1), "for the Image to be built").catch((e: Error) => {
      throw timeoutError(e, ctx, minBuild, lastImage, build);
    });
    if (!img) throw new Error(`${ctx.label}: it was deleted while waiting for its build.`);
    if (failure !== undefined) throw new Error(`${ctx.label}: ${failure}.`);
    if (!needBuild) return img;

    const ref = { apiVersion: "kpack.io/v1alpha2", kind: "Build", name: needBuild, namespace: ctx.ref.namespace };
    build = await get(ctx.kube, ref);
    if (!build) {
      // Pruned by the history limit already, or not yet visible: the Image's own status decides.
      build = { apiVersion: ref.apiVersion, kind: "Build", metadata: { name: needBuild } };
      continue;
    }
    ctx.progress.info(`${ctx.label}: ${buildProgress(build)}`);
    build = await waitUntil(ctx.kube, ref, (b) => {
      if (b) ctx.progress.status(buildProgress(b));
      const done = !b || ["True", "False"].includes(condition(b, "Succeeded")?.status ?? "");
      return done;
    }, Math.max(ctx.deadline - Date.now(), 1), `for Build ${needBuild} to finish`).catch((e: Error) => {
      throw timeoutError(e, ctx, minBuild, lastImage, build);
    }) ?? { apiVersion: ref.apiVersion, kind: "Build", metadata: { name: needBuild } };
    ctx.progress.info(`${ctx.label}: ${buildProgress(build)}`);
  }
}

function timeoutError(e: Error, ctx: AwaitContext<ImageInputs>, minBuild: number, image: KubeObject | undefined, build: KubeObject | undefined): Error {
  if (!/timed out/.test(e.message)) return e;
  const state = image ? imageWait(image, build, ctx.generation, minBuild) : undefined;
  const last = state && state.state === "pending" ? ` Last state: ${state.message}.` : "";
  const b = build?.status ? ` ${buildProgress(build)}.` : "";
  return new Error(`${ctx.label}: timed out after ${Math.round(ctx.budgetMs / 1000)}s waiting for its build.${last}${b} Raise timeoutSeconds, or set skipAwait to not wait.`);
}

/**
 * When triggerBuild changed on an update, asks kpack for one more build the
 * way `kp image trigger` does: the annotation image.kpack.io/additionalBuildNeeded
 * on the Image's newest Build (never on the Image, whose annotations every
 * Build copies), by merge patch. Returns the build number to wait for (0: none).
 */
export async function triggerIfAsked(ctx: AwaitContext<ImageInputs>): Promise<number> {
  const was = ctx.previous?.triggerBuild;
  const now = ctx.args.triggerBuild;
  if (!ctx.previous || now === undefined || now === was) return 0;
  const builds = await listBuilds(ctx.kube, ctx.ref.namespace!, ctx.ref.name);
  const newest = newestBuild(builds);
  if (!newest) return 0; // no build yet: the first one is on its way anyway
  const n = Number(newest.metadata?.labels?.["image.kpack.io/buildNumber"] ?? 0);
  await ctx.kube.objects.patch(
    { apiVersion: "kpack.io/v1alpha2", kind: "Build", metadata: { name: newest.metadata!.name!, namespace: ctx.ref.namespace, annotations: { [ADDITIONAL_BUILD_NEEDED]: now } } },
    undefined, undefined, FIELD_MANAGER, undefined, k8s.PatchStrategy.MergePatch,
  ).catch((e: unknown) => {
    throw new Error(`${ctx.label}: triggering a build on Build ${newest.metadata?.name} failed: ${apiMessage(e)}.`);
  });
  ctx.progress.info(`${ctx.label}: triggerBuild changed; asked kpack for build #${n + 1}`);
  return n + 1;
}

const ADDITIONAL_BUILD_NEEDED = "image.kpack.io/additionalBuildNeeded";

async function listBuilds(k: AwaitContext<ImageInputs>["kube"], namespace: string, image: string): Promise<KubeObject[]> {
  const list = await k.objects.list("kpack.io/v1alpha2", "Build", namespace, undefined, undefined, undefined, undefined, `image.kpack.io/image=${image}`);
  return list.items as KubeObject[];
}
