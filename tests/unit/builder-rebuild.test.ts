import * as assert from "node:assert/strict";
import { awaitImage } from "../../provider/kinds/image/await";
import { builderChanged, builderRebuild } from "../../provider/kinds/image/status";
import {
  added,
  buildObject,
  digestRef,
  imageArgs,
  imageBuilding,
  imageContext,
  imageObject,
  imageUpToDate,
  modified,
  NS,
} from "./fixtures/image-events";
import { ReplayIO } from "./fixtures/replay";

/**
 * A builder change makes a build: kpack starts none when the new builder has
 * the buildpacks, stack and lifecycle of the last build (kpack #1198), so the
 * Image's wait asks for one, as triggerBuild does, once kpack has observed the
 * generation and decided on no build; and adds none when kpack builds on its own.
 */

const OLD = { kind: "ClusterBuilder", name: "default" };
const NEW = { kind: "Builder", name: "java" };
const ANNOTATION = "image.kpack.io/additionalBuildNeeded";

describe("builder change: the decision (pure)", () => {
  const at = (over: Partial<Parameters<typeof imageObject>[0]>) =>
    imageObject({ generation: 2, observed: 2, counter: 1, buildGeneration: 1, ready: "True", reason: "UpToDate", ...over });

  it("waits until kpack has observed the generation and is not busy with an older build or the source", () => {
    assert.equal(builderRebuild(at({ observed: 1 }), 2), "wait");
    assert.equal(builderRebuild(at({ observed: undefined }), 2), "wait");
    assert.equal(builderRebuild(at({ ready: "Unknown", reason: "BuildRunning" }), 2), "wait");
    assert.equal(builderRebuild(at({ ready: "Unknown", reason: "ResolverNotReady" }), 2), "wait");
    assert.equal(builderRebuild({ ...at({}), status: { observedGeneration: 2, latestBuildImageGeneration: 1 } }, 2), "wait");
  });

  it("asks for a build when kpack decided on none: up to date with the old builder's build, or after a failed one", () => {
    assert.equal(builderRebuild(at({}), 2), "trigger");
    assert.equal(builderRebuild(at({ ready: "False", reason: "BuildFailed", message: "Error: Build 'app-build-1' failed" }), 2), "trigger");
  });

  it("asks for none when kpack built for the generation itself, cannot use the builder, or someone else changed the Image", () => {
    assert.equal(builderRebuild(at({ counter: 2, buildGeneration: 2, ready: "Unknown", reason: "BuildRunning" }), 2), "none");
    assert.equal(builderRebuild(at({ counter: 2, buildGeneration: 2 }), 2), "none");
    assert.equal(builderRebuild(at({ ready: "False", reason: "BuilderNotFound", message: "Unable to find builder java" }), 2), "none");
    assert.equal(builderRebuild(at({ ready: "False", reason: "BuilderNotReady" }), 2), "none");
    assert.equal(builderRebuild(at({ observed: 3 }), 2), "none");
  });

  it("a builder change is a change of kind or name, on update only", () => {
    assert.equal(builderChanged(OLD, { ...OLD }), false);
    assert.equal(builderChanged(OLD, { kind: "Builder", name: "default" }), true);
    assert.equal(builderChanged(OLD, { kind: "ClusterBuilder", name: "java" }), true);
    assert.equal(builderChanged(undefined, NEW), false);
  });
});

describe("builder change: the Image wait over hand-built events", () => {
  // Generation 2 moves the Image from the ClusterBuilder to the Builder; build 1 (generation 1) made latestImage.
  const before = imageObject({
    generation: 2,
    observed: 1,
    counter: 1,
    buildGeneration: 1,
    ready: "True",
    reason: "UpToDate",
    latestImage: digestRef(1),
    builder: NEW,
  });
  const build1 = buildObject(1, 1, "succeeded", { builder: OLD });
  /** kpack runs the build asked for, n, for generation 2 with the new builder, and records its image. */
  const triggeredBuild = (n: number) => [
    added(buildObject(n, 2, "running", { reason: "TRIGGER", builder: NEW })),
    modified(imageBuilding(2, n, 2, digestRef(n - 1), NEW)),
    modified(buildObject(n, 2, "succeeded", { reason: "TRIGGER", builder: NEW })),
    modified(imageUpToDate(2, n, 2, digestRef(n), NEW)),
  ];
  const update = (io: ReplayIO, over: Record<string, unknown> = {}, previous: Record<string, unknown> = {}) =>
    imageContext(io, 2, imageArgs({ builder: NEW, ...over }), imageArgs({ builder: OLD, ...previous }));

  it("same buildpacks: kpack observes it and starts no build, so the wait asks for build #2 on build 1 and waits for it", async () => {
    const io = new ReplayIO([
      added(before),
      added(build1),
      modified(imageUpToDate(2, 1, 1, digestRef(1), NEW)), // observed, no build: kpack #1198
      ...triggeredBuild(2),
    ]);
    const ctx = update(io);
    const live = await awaitImage(ctx);
    assert.equal(io.patches.length, 1);
    assert.equal(io.patches[0].kind, "Build");
    assert.equal(io.patches[0].metadata?.name, "app-build-1");
    assert.equal(io.patches[0].metadata?.namespace, NS);
    assert.equal(io.patches[0].metadata?.annotations?.[ANNOTATION], "builder changed to Builder java");
    assert.equal((live.status as { latestImage?: string }).latestImage, digestRef(2), "the result is the new builder's build");
    const lines = ctx.progress.lines.join("\n");
    assert.match(
      lines,
      /info: Image apps\/app: builder changed to Builder java, and kpack started no build \(its buildpacks, stack and lifecycle are those of the last build: kpack #1198\); asked kpack for build #2/,
    );
    assert.match(lines, /status: waiting for kpack to start build #2 \(triggered\)/);
    assert.match(lines, /info: Image apps\/app: Build app-build-2 \(#2, TRIGGER\) succeeded/);
  });

  it("new buildpacks: kpack builds for the generation on its own, and the wait adds no build", async () => {
    const io = new ReplayIO([
      added(before),
      added(build1),
      added(buildObject(2, 2, "running", { reason: "BUILDPACK", builder: NEW })),
      modified(imageBuilding(2, 2, 2, digestRef(1), NEW)),
      modified(buildObject(2, 2, "succeeded", { reason: "BUILDPACK", builder: NEW })),
      modified(imageUpToDate(2, 2, 2, digestRef(2), NEW)),
    ]);
    const live = await awaitImage(update(io));
    assert.deepEqual(io.patches, []);
    assert.equal((live.status as { latestImage?: string }).latestImage, digestRef(2));
  });

  it("an older build still running: decides only after it ends, then asks on the newest Build", async () => {
    const build2 = (state: "running" | "succeeded") => buildObject(2, 1, state, { builder: OLD });
    const io = new ReplayIO([
      added(
        imageObject({
          generation: 2,
          observed: 1,
          counter: 2,
          buildGeneration: 1,
          ready: "Unknown",
          reason: "BuildRunning",
          latestImage: digestRef(1),
          builder: NEW,
        }),
      ),
      added(build1),
      added(build2("running")),
      modified(imageBuilding(2, 2, 1, digestRef(1), NEW)), // observed 2, but build 2 (generation 1) still runs
      modified(build2("succeeded")),
      modified(imageUpToDate(2, 2, 1, digestRef(2), NEW)), // kpack decided: no build for generation 2
      ...triggeredBuild(3),
    ]);
    const ctx = update(io);
    const live = await awaitImage(ctx);
    assert.equal(io.patches.length, 1);
    assert.equal(io.patches[0].metadata?.name, "app-build-2", "the newest Build, once it ended");
    const lines = ctx.progress.lines;
    const running = lines.findIndex((l) => /Build 'app-build-2' is executing/.test(l));
    const asked = lines.findIndex((l) => /asked kpack for build #3/.test(l));
    assert.ok(running >= 0 && asked > running, lines.join("\n"));
    assert.equal((live.status as { latestImage?: string }).latestImage, digestRef(3));
  });

  it("after a failed build: the builder change asks for a build and waits for it", async () => {
    const failed = imageObject({
      generation: 2,
      observed: 2,
      counter: 1,
      buildGeneration: 1,
      ready: "False",
      reason: "BuildFailed",
      message: "Error: Build 'app-build-1' in namespace 'apps' failed",
      builder: NEW,
    });
    const io = new ReplayIO([
      added({ ...failed, status: { ...(failed.status as object), observedGeneration: 1 } }),
      added(buildObject(1, 1, "failed", { builder: OLD })),
      modified(failed),
      added(buildObject(2, 2, "succeeded", { reason: "TRIGGER", builder: NEW })),
      modified(imageUpToDate(2, 2, 2, digestRef(2), NEW)),
    ]);
    const live = await awaitImage(update(io));
    assert.equal(io.patches.length, 1);
    assert.equal((live.status as { latestImage?: string }).latestImage, digestRef(2));
  });

  it("a builder kpack cannot find fails with kpack's reason and asks for nothing", async () => {
    const io = new ReplayIO([
      added(before),
      added(build1),
      modified(
        imageObject({
          generation: 2,
          observed: 2,
          counter: 1,
          buildGeneration: 1,
          ready: "False",
          reason: "BuilderNotFound",
          message: "Unable to find builder java.",
          latestImage: digestRef(1),
          builder: NEW,
        }),
      ),
    ]);
    await assert.rejects(awaitImage(update(io)), /^Error: Image apps\/app: BuilderNotFound: Unable to find builder java\.\.$/);
    assert.deepEqual(io.patches, []);
  });

  it("rebuildOnBuilderChange: false leaves it to kpack: the wait ends on the old image, asking for nothing", async () => {
    const io = new ReplayIO([added(before), added(build1), modified(imageUpToDate(2, 1, 1, digestRef(1), NEW))]);
    const live = await awaitImage(update(io, { rebuildOnBuilderChange: false }));
    assert.deepEqual(io.patches, []);
    assert.equal((live.status as { latestImage?: string }).latestImage, digestRef(1));
  });

  it("with triggerBuild changed too, the one triggered build serves both", async () => {
    const io = new ReplayIO([
      added(before),
      added(build1),
      modified(imageUpToDate(2, 1, 1, digestRef(1), NEW)),
      added(buildObject(2, 2, "succeeded", { reason: "TRIGGER", builder: NEW })),
      modified(imageUpToDate(2, 2, 2, digestRef(2), NEW)),
    ]);
    const live = await awaitImage(update(io, { triggerBuild: "2" }, { triggerBuild: "1" }));
    assert.equal(io.patches.length, 1);
    assert.equal(io.patches[0].metadata?.annotations?.[ANNOTATION], "2", "the triggerBuild request, made before kpack observed the change");
    assert.equal((live.status as { latestImage?: string }).latestImage, digestRef(2));
  });
});
