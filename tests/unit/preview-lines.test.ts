import * as assert from "node:assert/strict";
import * as net from "node:net";
import { clusterStack } from "../../provider/kinds/cluster-stack";
import { image } from "../../provider/kinds/image";
import { handlersOf } from "../../provider/lifecycle";
import type { Props } from "../../provider/values";
import { recorder } from "./fixtures/image-events";

/**
 * `pulumi preview` tells, next to each Image, whether its change will build:
 * the lifecycle sends the kind's describeChange line as a kept (not ephemeral)
 * info line to the resource's URN, from check for a new resource (the engine
 * calls no diff for it) and from diff for a changed one. A preview with no
 * change says nothing and reaches no cluster.
 */

const URN = "urn:pulumi:dev::app::pulumi-nodejs:dynamic/kpack:Image::app";
const kubeconfig = [
  "apiVersion: v1",
  "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]",
  "contexts: [{name: c, context: {cluster: c, user: u}}]",
  "current-context: c",
  "users: [{name: u, user: {token: t}}]",
].join("\n");
const program: Props = {
  __provider: "serialized shim",
  logicalName: "app",
  providerVersion: "0.1.0",
  resourceUrn: URN,
  kubeconfig,
  namespace: "apps",
  tag: "127.0.0.1:5000/team/app",
  builder: { kind: "ClusterBuilder", name: "default" },
  source: { git: { url: "http://127.0.0.1:3000/team/app.git", revision: "main" } },
};

/** The handlers of a kind with their lines kept per URN. */
function handlers(def: Parameters<typeof handlersOf>[0]) {
  const lines: Array<{ urn: string | undefined; line: string }> = [];
  const h = handlersOf(def, (urn) => {
    const r = recorder();
    return {
      ...r,
      status: (m) => lines.push({ urn, line: `status: ${m}` }),
      info: (m) => lines.push({ urn, line: `info: ${m}` }),
      warn: (m) => lines.push({ urn, line: `warn: ${m}` }),
    };
  });
  return { h, lines };
}

/** Runs f while every TCP connection attempt is counted and refused. */
function countingConnections<T>(f: () => T): { result: T; connections: number } {
  let connections = 0;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- kept only to be put back in the finally, never called
  const original = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (this: net.Socket) {
    connections++;
    throw new Error("no connection may be made at preview");
  };
  try {
    return { result: f(), connections };
  } finally {
    net.Socket.prototype.connect = original;
  }
}

describe("preview lines: what an Image change will build", () => {
  it("a new Image: check tells 'will build #1' next to the resource, as a kept info line", () => {
    const { h, lines } = handlers(image);
    const r = h.check({}, program);
    assert.deepEqual(r.failures, []);
    assert.deepEqual([...lines], [{ urn: URN, line: "info: will build #1: a new Image" }]);
  });

  it("a change: diff tells whether and why it builds; check of an update tells nothing", () => {
    const { h, lines } = handlers(image);
    const stored = { ...h.check({}, program).inputs!, buildCounter: 3, ready: true };
    lines.length = 0;
    const news = h.check(stored, { ...program, additionalTags: ["127.0.0.1:5000/team/app:stable"] }).inputs!;
    assert.deepEqual([...lines], [], "check of an update says nothing");
    const d = h.diff("apps/app", stored, news);
    assert.equal(d.changes, true);
    assert.deepEqual(
      [...lines],
      [{ urn: URN, line: "info: no build: additionalTags take effect at the next build (change triggerBuild to build now)" }],
    );

    lines.length = 0;
    h.diff("apps/app", stored, { ...news, source: { blob: { url: "http://127.0.0.1:8080/app.tgz" } } });
    assert.deepEqual(
      lines.map((l) => l.line),
      ["info: will build #4: CONFIG (source); it also applies additionalTags"],
    );
  });

  it("a program that fails check tells nothing about builds", () => {
    const { h, lines } = handlers(image);
    assert.ok(h.check({}, { ...program, source: { blob: { url: "not-a-url" } } }).failures?.length);
    assert.deepEqual([...lines], []);
  });

  it("no change: check and diff tell nothing, return at once, and open no connection", () => {
    const { h, lines } = handlers(image);
    const stored = { ...h.check({}, program).inputs!, buildCounter: 1, ready: true, latestImage: "127.0.0.1:5000/team/app@sha256:" + "a".repeat(64) };
    lines.length = 0;
    const { result, connections } = countingConnections(() => {
      const checked = h.check(stored, program);
      return { checked, diff: h.diff("apps/app", stored, checked.inputs!) };
    });
    assert.equal(connections, 0);
    assert.ok(!(result.checked instanceof Promise) && !(result.diff instanceof Promise), "check and diff do no I/O: they are synchronous");
    assert.deepEqual(result.checked.failures, []);
    assert.equal(result.diff.changes, false);
    assert.deepEqual([...lines], []);
  });

  it("a kind without describeChange tells nothing", () => {
    const { h, lines } = handlers(clusterStack);
    const stack = {
      logicalName: "base",
      providerVersion: "0.1.0",
      resourceUrn: URN,
      stackId: "io.buildpacks.stacks.jammy",
      buildImage: "127.0.0.1:5000/stacks/build:1",
      runImage: "127.0.0.1:5000/stacks/run:1",
    };
    const stored = h.check({}, stack).inputs!;
    h.diff("base", stored, { ...stored, runImage: "127.0.0.1:5000/stacks/run:2" });
    assert.deepEqual([...lines], []);
  });
});
