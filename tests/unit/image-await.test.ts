import * as assert from "node:assert/strict";
import type { AwaitContext } from "../../provider/kind";
import { awaitImage } from "../../provider/kinds/image/await";
import type { Progress } from "../../provider/progress";
import { Deadline, TimeoutError } from "../../provider/wait-policy";
import { image, ImageInputs } from "../../schema/image";
import { loadRecording, ReplayIO } from "./fixtures/replay";

/**
 * The Image's wait loop (provider/kinds/image/await.ts) driven by Image and
 * Build watch events recorded from the real kpack controller: which objects
 * it follows, what it reports, when it ends and with what.
 */
function progress(): Progress & { lines: string[] } {
  const lines: string[] = [];
  return { lines, status: (m) => lines.push(`status: ${m}`), info: (m) => lines.push(`info: ${m}`), warn: (m) => lines.push(`warn: ${m}`) };
}

type Events = ReturnType<typeof loadRecording>["events"];

/** The wait's context for generation 1 of the recorded Image `name`, reporting into `progress.lines`. */
function context(io: ReplayIO, events: Events, name: string): AwaitContext<ImageInputs> & { progress: ReturnType<typeof progress> } {
  const namespace = events.find((e) => e.object.kind === "Image")?.object.metadata?.namespace;
  const parsed = image.inputs.parse({
    logicalName: name,
    providerVersion: "0",
    name,
    namespace,
    tag: "127.0.0.1:5000/team/app",
    builder: { kind: "Builder", name: "b" },
    source: { blob: { url: "http://127.0.0.1:9/app.tgz" } },
  });
  return {
    io,
    ref: { apiVersion: "kpack.io/v1alpha2", kind: "Image", name, namespace },
    args: parsed,
    generation: 1,
    deadline: Deadline.seconds(60),
    label: `Image ${namespace}/${name}`,
    progress: progress(),
  };
}

function setup(file: string, name: string): { io: ReplayIO; events: Events; ctx: ReturnType<typeof context> } {
  const { events } = loadRecording(file);
  const io = new ReplayIO(events);
  return { io, events, ctx: context(io, events, name) };
}

const lastBuild = (events: Events) => [...events].reverse().find((e) => e.object.kind === "Build")?.object;

describe("Image wait loop over recorded Image and Build events", () => {
  it("first build: follows the Build's steps and ends with the image the Build pushed", async () => {
    const { events, ctx } = setup("image-build-succeeded.json", "app");
    assert.ok(
      events.some((e) => e.object.kind === "Build"),
      "the recording has the Build's events",
    );
    const live = await awaitImage(ctx);
    const built = (lastBuild(events)?.status as { latestImage?: string }).latestImage;
    assert.match(String(built), /@sha256:[0-9a-f]{64}$/);
    assert.equal((live.status as { latestImage?: string }).latestImage, built, "the wait ends when the Image records the Build's image");
    assert.ok(
      ctx.progress.lines.some((l) => /^status: Build app-build-1 \(#1, CONFIG\) running, steps done: .+/.test(l)),
      ctx.progress.lines.join("\n"),
    );
    assert.ok(
      ctx.progress.lines.some((l) => /^info: Image .*app: Build app-build-1 \(#1, CONFIG\) succeeded: /.test(l)),
      ctx.progress.lines.join("\n"),
    );
  });

  it("a failed build fails the wait with the Build's name, its reason and where its logs are", async () => {
    const { ctx } = setup("image-build-failed.json", "app");
    // The recorded build #3 is kpack's CONFIG build for a source change: generation 2 of the Image.
    ctx.generation = 2;
    await assert.rejects(awaitImage(ctx), (e: Error) => {
      assert.match(e.message, /^Image .*\/app: Build app-build-3 failed: .*build.*kubectl logs -n \S+ \S+ --all-containers/s);
      return true;
    });
    assert.ok(
      ctx.progress.lines.some((l) => /Build app-build-3 .*running/.test(l)),
      "it followed the build while it ran",
    );
  });

  it("a Builder that does not exist fails at once with kpack's reason, watching no Build", async () => {
    const { ctx } = setup("image-builder-not-found.json", "orphan");
    await assert.rejects(awaitImage(ctx), /Image .*orphan: .*BuilderNotFound/);
    assert.ok(!ctx.progress.lines.some((l) => /Build /.test(l)));
  });

  it("triggerBuild: asks for one more build on the newest Build and waits for that build, not the one before", async () => {
    const { io, events, ctx } = setup("image-rebuild-succeeded.json", "app");
    ctx.previous = { ...ctx.args, triggerBuild: "1" };
    ctx.args = { ...ctx.args, triggerBuild: "2" };
    const live = await awaitImage(ctx);
    assert.equal(io.patches.length, 1);
    assert.equal(io.patches[0].kind, "Build");
    assert.equal(io.patches[0].metadata?.name, "app-build-1");
    assert.equal(io.patches[0].metadata?.annotations?.["image.kpack.io/additionalBuildNeeded"], "2");
    assert.equal((live.status as { buildCounter?: number }).buildCounter, 2);
    assert.equal((live.status as { latestImage?: string }).latestImage, (lastBuild(events)?.status as { latestImage?: string }).latestImage);
  });

  it("runs out of time with a TimeoutError that says where the build stood", async () => {
    const r = loadRecording("image-build-succeeded.json");
    // Cut the recording while the build runs.
    const cut = r.events.findIndex(
      (e) => e.object.kind === "Build" && ((e.object.status as { stepsCompleted?: string[] })?.stepsCompleted?.length ?? 0) > 0,
    );
    assert.ok(cut > 0);
    const events = r.events.slice(0, cut + 1);
    const ctx = context(new ReplayIO(events), events, "app");
    await assert.rejects(awaitImage(ctx), (e: unknown) => {
      assert.ok(e instanceof TimeoutError);
      assert.match(e.message, /^Image .*app: timed out after 60s waiting for its build\. Last state: .*Build app-build-1 .*running, steps done: /);
      return true;
    });
  });

  it("reports a build found already finished once, not twice", async () => {
    const { events } = loadRecording("image-build-succeeded.json");
    const images = events.filter((e) => e.object.kind === "Image");
    const builds = events.filter((e) => e.object.kind === "Build");
    // The wait starts after the build ended but before the Image recorded it.
    const start = [
      { type: "ADDED", object: images[images.length - 2].object },
      { type: "ADDED", object: builds[builds.length - 1].object },
      { type: "MODIFIED", object: images[images.length - 1].object },
    ];
    const ctx = context(new ReplayIO(start), start, "app");
    await awaitImage(ctx);
    const succeeded = ctx.progress.lines.filter((l) => /^info: .*Build app-build-1 .*succeeded/.test(l));
    assert.equal(succeeded.length, 1, ctx.progress.lines.join("\n"));
  });
});
