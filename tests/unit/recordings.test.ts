import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { imageOutputs, imageWait, ImageWait } from "../../provider/kinds/image/status";
import type { KubeObject } from "../../provider/kube/objects";

/**
 * Replays watch events recorded from the real kpack controller in the test
 * environment (PULUMI_KPACK_RECORD=1) through the pure wait logic:
 * the state after each event, as the provider's Image wait would see it.
 */
interface Recording {
  description: string;
  events: Array<{ type: string; object: KubeObject }>;
}

const dir = path.join(__dirname, "..", "..", "..", "tests", "unit", "recordings");
function replay(name: string, generation = 1): { states: ImageWait[]; last: KubeObject } {
  const r = JSON.parse(fs.readFileSync(path.join(dir, name), "utf8")) as Recording;
  const images = r.events.filter((e) => e.object.kind === "Image");
  return { states: images.map((e) => imageWait(e.object, undefined, generation)), last: images[images.length - 1].object };
}

describe("Image wait over recorded kpack watch events", () => {
  it("first build: pending through resolving and the build, ready with the built digest at the end", () => {
    const { states, last } = replay("image-build-succeeded.json");
    assert.ok(
      states.slice(0, -1).every((s) => s.state === "pending"),
      "ready or failed before the build ended",
    );
    assert.match((states[1] as { message: string }).message, /ResolverNotReady/);
    assert.match((states[2] as { message: string }).message, /app-build-1/);
    const end = states[states.length - 1];
    assert.equal(end.state, "ready");
    const out = imageOutputs(last);
    assert.equal((end as { latestImage: string }).latestImage, out.latestImage);
    assert.match(String(out.digest), /^sha256:[0-9a-f]{64}$/);
    assert.equal(out.buildCounter, 1);
  });

  it("a Builder that does not exist fails at once, with kpack's reason", () => {
    const { states } = replay("image-builder-not-found.json");
    assert.equal(states[0].state, "pending");
    assert.equal(states[1].state, "failed");
    assert.match((states[1] as { message: string }).message, /BuilderNotFound/);
  });

  it("a failed rebuild turns the wait to failed with the Build's name, keeping the previous digest in outputs", () => {
    // A source change (generation 2) whose build #3 fails.
    const { states, last } = replay("image-build-failed.json", 2);
    const end = states[states.length - 1];
    assert.equal(end.state, "failed");
    assert.match((end as { message: string }).message, /BuildFailed/);
    assert.ok(
      states.slice(0, -1).every((s) => s.state === "pending"),
      "pending until the build ends",
    );
    assert.ok(
      states.some((s) => s.state === "pending" && /app-build-3/.test(s.message)),
      "it names the build while it runs",
    );
    assert.match(String(imageOutputs(last).latestImage), /@sha256:/, "the last good image stays the output");
  });

  it("a rebuild of the same source (a TRIGGER) moves the build counter and the Build, and keeps the digest: real CNB builds are reproducible", () => {
    const { last } = replay("image-rebuild-succeeded.json");
    const first = (JSON.parse(fs.readFileSync(path.join(dir, "image-rebuild-succeeded.json"), "utf8")) as Recording).events.find(
      (e) => e.object.kind === "Image",
    )!.object;
    assert.equal(imageOutputs(first).buildCounter, 1);
    assert.equal(imageOutputs(last).buildCounter, 2);
    assert.equal(imageOutputs(last).latestBuildRef, "app-build-2");
    assert.equal(imageOutputs(last).latestBuildReason, "TRIGGER");
    assert.equal(imageOutputs(last).latestImage, imageOutputs(first).latestImage, "the same source, buildpacks and run image give the same digest");
  });
});
