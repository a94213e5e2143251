import * as assert from "node:assert/strict";
import { awaitReady } from "../../provider/kind";
import { awaitImage } from "../../provider/kinds/image/await";
import { readyCondition } from "../../provider/conditions";
import { userMessage } from "../../provider/lifecycle";
import { notObservedAdvice, TIMEOUT_ADVICE, TimeoutError } from "../../provider/wait-policy";
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
  recorder,
} from "./fixtures/image-events";
import { ReplayIO } from "./fixtures/replay";
import { Deadline } from "../../provider/wait-policy";

/**
 * A wait that runs out of time says what it last saw and what to check; when
 * kpack never observed the generation written, it names the controller. The
 * loops run over hand-built events through the ReplayIO, which times out when
 * the events run out.
 */

const CONTROLLER =
  /kpack has not observed generation 2 of it \(it last observed 1\): is the kpack controller running\? Check `kubectl -n kpack get deployment kpack-controller` and its logs \(`kubectl -n kpack logs deployment\/kpack-controller`\)\./;

/** Resolves with the TimeoutError the wait ends with (and fails if it ends otherwise). */
async function timeoutOf(p: Promise<unknown>): Promise<TimeoutError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  assert.ok(e instanceof TimeoutError, `expected a TimeoutError, got ${String(e)}`);
  return e;
}

describe("timeouts say what was last seen and what to check", () => {
  it("an Image update kpack never observes: the last state, then the controller to check", async () => {
    const built = digestRef(1);
    // Generation 2 written; the controller is stopped, so the Image keeps generation 1's status.
    const io = new ReplayIO([
      added(imageUpToDate(1, 1, 1, built)),
      modified({ ...imageUpToDate(1, 1, 1, built), metadata: { ...imageUpToDate(1, 1, 1, built).metadata, generation: 2 } }),
    ]);
    const e = await timeoutOf(awaitImage(imageContext(io, 2, imageArgs({ build: { env: [{ name: "BP_X", value: "1" }] } }))));
    assert.match(
      e.message,
      /^Image apps\/app: timed out after 60s waiting for its build\. Last state: waiting for kpack to observe generation 2 \(it has seen 1\)\. kpack has not observed/,
    );
    assert.match(e.message, CONTROLLER);
    assert.ok(userMessage(e).endsWith(TIMEOUT_ADVICE), "the general advice still follows");
  });

  it("a triggered rebuild kpack never observes says so first, not only 'waiting for build #N'", async () => {
    const io = new ReplayIO([added(imageUpToDate(1, 3, 1, digestRef(3))), added(buildObject(3, 1, "succeeded"))]);
    const ctx = imageContext(io, 2, imageArgs({ triggerBuild: "2" }), imageArgs({ triggerBuild: "1" }));
    const e = await timeoutOf(awaitImage(ctx));
    assert.equal(io.patches.length, 1, "the rebuild was asked for");
    assert.match(e.message, /Last state: waiting for kpack to observe generation 2 \(it has seen 1\), then to start build #4 \(triggered\)\./);
    assert.match(e.message, CONTROLLER);
  });

  it("an Image kpack has never reconciled at all (no status)", async () => {
    const io = new ReplayIO([added(imageObject({ generation: 2, counter: 0, buildGeneration: 0, ready: "Unknown" }))]);
    const e = await timeoutOf(awaitImage(imageContext(io, 2, imageArgs())));
    assert.match(
      e.message,
      /waiting for kpack to observe generation 2 \(it has seen 0\)\. kpack has not observed generation 2 of it: is the kpack controller running\?/,
    );
  });

  it("a build that runs too long names the build's progress and not the controller", async () => {
    const io = new ReplayIO([added(imageBuilding(2, 2, 2, digestRef(1))), added(buildObject(2, 2, "running"))]);
    const e = await timeoutOf(awaitImage(imageContext(io, 2, imageArgs())));
    assert.match(e.message, /Last state: .*Build app-build-2 \(#2, CONFIG\) running, steps done: prepare, analyze\.$/);
    assert.equal(e.toCheck, undefined);
    assert.doesNotMatch(e.message, /controller/);
  });

  it("other kinds: an object kpack never observes names the controller; one it observed does not", async () => {
    const stack = (generation: number, observed: number, ready: string) => ({
      apiVersion: "kpack.io/v1alpha2",
      kind: "ClusterStack",
      metadata: { name: "base", generation },
      status: { observedGeneration: observed, conditions: [{ type: "Ready", status: ready, lastTransitionTime: "2026-11-29T00:39:01Z" }] },
    });
    const ctx = (io: ReplayIO) => ({
      io,
      ref: { apiVersion: "kpack.io/v1alpha2", kind: "ClusterStack", name: "base" },
      args: {},
      generation: 2,
      deadline: Deadline.seconds(300),
      label: "ClusterStack base",
      progress: recorder(),
    });
    const stale = await timeoutOf(awaitReady(readyCondition)(ctx(new ReplayIO([added(stack(2, 1, "True"))]))));
    assert.match(
      stale.message,
      /^ClusterStack base: timed out after 300s waiting for kpack to report it ready\. Last state: waiting for kpack to observe generation 2\. /,
    );
    assert.match(stale.message, CONTROLLER);
    const observed = await timeoutOf(awaitReady(readyCondition)(ctx(new ReplayIO([added(stack(2, 2, "Unknown"))]))));
    assert.match(observed.message, /Last state: Ready is Unknown/);
    assert.doesNotMatch(observed.message, /controller/);
  });

  it("notObservedAdvice is pure: only below the written generation", () => {
    assert.equal(notObservedAdvice(3, 3), undefined);
    assert.equal(notObservedAdvice(3, 4), undefined);
    assert.match(notObservedAdvice(3, 2)!, /generation 3 of it \(it last observed 2\)/);
    assert.match(notObservedAdvice(1, undefined)!, /^kpack has not observed generation 1 of it: /);
  });
});
