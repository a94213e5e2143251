import * as assert from "node:assert/strict";
import { provenanceBuild, provenanceOf, refreshLine, sourceSummary } from "../../provider/kinds/image/provenance";
import type { KubeObject } from "../../provider/kube/objects";
import { loadRecording } from "./fixtures/replay";

/** The last state of each Build in a recording of the real controller and lifecycle. */
function recordedBuilds(file: string): KubeObject[] {
  const last = new Map<string, KubeObject>();
  for (const e of loadRecording(file).events) if (e.object.kind === "Build") last.set(e.object.metadata!.name!, e.object);
  return [...last.values()];
}
const lastImage = (file: string) =>
  [...loadRecording(file).events].reverse().find((e) => e.object.kind === "Image")!.object as KubeObject & {
    status: { latestImage: string; latestBuildRef: string };
  };

describe("Image provenance, from Builds recorded from the real controller and lifecycle", () => {
  it("a first build from a blob: the source, the buildpacks the lifecycle ran, the digest-pinned run image, the reason", () => {
    const image = lastImage("image-build-succeeded.json");
    const build = provenanceBuild(recordedBuilds("image-build-succeeded.json"), image.status.latestImage);
    assert.ok(build, "the Build that pushed latestImage");
    const p = provenanceOf(build);
    assert.equal(p.build, image.status.latestBuildRef);
    assert.equal(p.buildNumber, 1);
    assert.equal(p.reason, "CONFIG");
    assert.equal(p.image, image.status.latestImage);
    assert.match(p.source.blob?.url ?? "", /^http:\/\/127\.0\.0\.1:\d+\/v2\/.+\/blobs\/sha256:[0-9a-f]{64}$/);
    assert.ok(p.buildpacks.length > 0 && p.buildpacks.every((b) => b.id && /^\d+\.\d+\.\d+/.test(b.version)), JSON.stringify(p.buildpacks));
    assert.match(p.runImage, /@sha256:[0-9a-f]{64}$/, "the run image is digest-pinned");
    assert.ok(p.stackId);
    assert.match(p.lifecycleVersion ?? "", /^\d+\.\d+\.\d+$/);
  });

  it("after a failed build, provenance stays with the build that made latestImage", () => {
    const image = lastImage("image-build-failed.json");
    const builds = recordedBuilds("image-build-failed.json");
    assert.ok(
      builds.some((b) => b.metadata?.name === image.status.latestBuildRef),
      "the failed build is recorded",
    );
    const build = provenanceBuild(builds, image.status.latestImage);
    assert.equal(image.status.latestBuildRef, "app-build-3");
    assert.equal(build?.metadata?.name, "app-build-2", "the last successful build, not the failed one");
  });

  it("picks the highest-numbered successful build that pushed the image, and none for an image no build pushed", () => {
    const b = (n: number, ok: boolean, img: string) => ({
      apiVersion: "kpack.io/v1alpha2",
      kind: "Build",
      metadata: { name: `app-build-${n}`, labels: { "image.kpack.io/buildNumber": String(n) } },
      status: { latestImage: img, conditions: [{ type: "Succeeded", status: ok ? "True" : "False" }] },
    });
    const builds = [
      b(1, true, "127.0.0.1:5000/app@sha256:a"),
      b(2, true, "127.0.0.1:5000/app@sha256:b"),
      b(3, true, "127.0.0.1:5000/app@sha256:b"),
      b(4, false, ""),
    ];
    assert.equal(provenanceBuild(builds, "127.0.0.1:5000/app@sha256:b")?.metadata?.name, "app-build-3");
    assert.equal(provenanceBuild(builds, "127.0.0.1:5000/app@sha256:c"), undefined);
    assert.equal(provenanceBuild(builds, undefined), undefined);
  });

  it("summarises a source: 7 characters of a commit, a registry digest, a blob's last path part", () => {
    assert.equal(sourceSummary({ source: { git: { url: "http://127.0.0.1:1/a.git", revision: "1a2b3c4d5e6f".padEnd(40, "0") } } }), "1a2b3c4");
    assert.equal(sourceSummary({ source: { registry: { image: `127.0.0.1:5000/src@sha256:${"ab12cd3".padEnd(64, "0")}` } } }), "sha256:ab12cd3");
    assert.equal(sourceSummary({ source: { blob: { url: "http://127.0.0.1:1/app.tgz" } } }), "app.tgz");
  });
});

describe("what a refresh says kpack built since the last up", () => {
  const sha = "1a2b3c4".padEnd(40, "9");
  const prov = (build: string, reason: string) => ({
    build,
    reason,
    image: "",
    source: { git: { url: "http://127.0.0.1:1/a.git", revision: sha } },
    buildpacks: [],
    runImage: "",
    stackId: "",
  });
  const state = { buildCounter: 2, latestImage: "127.0.0.1:5000/app@sha256:old", latestBuildRef: "app-build-2" };

  it("nothing when kpack started no build", () => {
    assert.equal(refreshLine(state, { ...state }), undefined);
  });

  it("a COMMIT build that made a new image: its number, reason, commit, and that the digest changes", () => {
    const live = {
      buildCounter: 3,
      latestImage: "127.0.0.1:5000/app@sha256:new",
      latestBuildRef: "app-build-3",
      latestBuildReason: "COMMIT",
      provenance: prov("app-build-3", "COMMIT"),
    };
    assert.equal(refreshLine(state, live), "kpack built #3 (COMMIT 1a2b3c4) since the last up: the digest changes");
  });

  it("several builds; a reproducible one that kept the digest", () => {
    const live = {
      buildCounter: 4,
      latestImage: "127.0.0.1:5000/app@sha256:old",
      latestBuildRef: "app-build-4",
      latestBuildReason: "STACK",
      provenance: prov("app-build-4", "STACK"),
    };
    assert.equal(refreshLine(state, live), "kpack built #3–#4 (STACK) since the last up: the digest stays (the same image)");
  });

  it("a build that failed or still runs: the digest stays", () => {
    const live = {
      buildCounter: 3,
      latestImage: "127.0.0.1:5000/app@sha256:old",
      latestBuildRef: "app-build-3",
      latestBuildReason: "BUILDPACK",
      provenance: prov("app-build-2", "CONFIG"),
    };
    assert.equal(
      refreshLine(state, live),
      "kpack started build #3 (BUILDPACK) since the last up, and it has made no new image (it failed, or still runs): the digest stays",
    );
  });
});
