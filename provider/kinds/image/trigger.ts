import type { ImageInputs } from "../../../schema/image";
import { KPACK_API_VERSION } from "../../../schema/common";
import { BUILD_ANNOTATION, BUILD_LABEL } from "../../conditions";
import type { AwaitContext } from "../../kind";
import { newestBuild } from "./status";

/**
 * Asking kpack for one more build the way `kp image trigger` does: the
 * annotation image.kpack.io/additionalBuildNeeded on the Image's newest Build
 * (never on the Image, whose annotations every Build copies), by merge patch.
 * kpack builds with reason TRIGGER once no build of the Image runs.
 */

/** Asks for a build, the annotation holding `value`. Returns the build number to wait for; 0 when the Image has no Build yet (nothing was asked). */
export async function askForBuild(ctx: AwaitContext<ImageInputs>, value: string): Promise<number> {
  const builds = await ctx.io.list({
    apiVersion: KPACK_API_VERSION,
    kind: "Build",
    namespace: ctx.ref.namespace,
    labelSelector: `${BUILD_LABEL.image}=${ctx.ref.name}`,
  });
  const newest = newestBuild(builds);
  if (!newest?.metadata?.name) return 0;
  const n = Number(newest.metadata.labels?.[BUILD_LABEL.buildNumber] ?? 0);
  await ctx.io
    .mergePatch({
      apiVersion: KPACK_API_VERSION,
      kind: "Build",
      metadata: { name: newest.metadata.name, namespace: ctx.ref.namespace, annotations: { [BUILD_ANNOTATION.additionalBuildNeeded]: value } },
    })
    .catch((e: Error) => {
      throw new Error(`${ctx.label}: triggering a build failed: ${e.message}`);
    });
  return n + 1;
}

/** When triggerBuild changed on an update, asks kpack for a build. Returns the build number to wait for (0: none). */
export async function triggerIfAsked(ctx: AwaitContext<ImageInputs>): Promise<number> {
  const was = ctx.previous?.triggerBuild;
  const now = ctx.args.triggerBuild;
  if (!ctx.previous || now === undefined || now === was) return 0;
  // No build yet: the first one is on its way anyway.
  const n = await askForBuild(ctx, now);
  if (n) ctx.progress.info(`${ctx.label}: triggerBuild changed; asked kpack for build #${n}`);
  return n;
}

/** The annotation value of a build asked for after a builder change (kpack only needs the annotation to be there). */
export function builderChangeValue(builder: { kind: string; name: string }): string {
  return `builder changed to ${builder.kind} ${builder.name}`;
}
