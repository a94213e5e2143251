import * as assert from "node:assert/strict";
import { cacheReplacementPatch, cacheTransitionProblems, liveVolumeConflict, quantityValue } from "../../provider/kinds/image/cache";
import type { KubeObject } from "../../provider/kube/objects";

/**
 * The Image's cache transitions, after kpack v0.17.2's image_validation.go
 * (volume caches only grow and keep their StorageClass; no cache means its
 * 2G default where a default StorageClass exists) and server-side apply's
 * blind spot for fields a mutating webhook added.
 */
const vol = (size: string, storageClassName?: string) => ({ volume: { size, ...(storageClassName ? { storageClassName } : {}) } });
const reg = (tag: string) => ({ registry: { tag } });
const liveWith = (cache: unknown): KubeObject => ({
  apiVersion: "kpack.io/v1alpha2",
  kind: "Image",
  metadata: { name: "app" },
  spec: { tag: "127.0.0.1:5000/team/app", cache },
});
const paths = (old: Parameters<typeof cacheTransitionProblems>[0], next: Parameters<typeof cacheTransitionProblems>[1]) =>
  cacheTransitionProblems(old, next).map((p) => p.path);

describe("Image cache (pure)", () => {
  it("reads Kubernetes quantities in base units", () => {
    assert.equal(quantityValue("2G"), 2e9);
    assert.equal(quantityValue("2Gi"), 2 ** 31);
    assert.equal(quantityValue("1500M"), 1.5e9);
    assert.equal(quantityValue("1e3"), 1000);
    assert.equal(quantityValue("500m"), 0.5);
    assert.ok(Number.isNaN(quantityValue("2 GB")));
  });

  it("allows every transition kpack applies: none → volume or registry, volume → registry, registry → none, growing, the default size back", () => {
    assert.deepEqual(paths(undefined, vol("5G")), []);
    assert.deepEqual(paths(undefined, reg("127.0.0.1:5000/team/app-cache")), []);
    assert.deepEqual(paths(vol("5G"), reg("127.0.0.1:5000/team/app-cache")), []);
    assert.deepEqual(paths(reg("127.0.0.1:5000/team/app-cache"), undefined), []);
    assert.deepEqual(paths(reg("127.0.0.1:5000/team/app-cache"), vol("1G")), []);
    assert.deepEqual(paths(vol("2G"), vol("3Gi")), []);
    assert.deepEqual(paths(vol("2G"), undefined), []);
    assert.deepEqual(paths(vol("1G"), undefined), []);
    // Same size written another way is no shrink.
    assert.deepEqual(paths(vol("1000M"), vol("1G")), []);
  });

  it("refuses at preview what kpack refuses: a shrinking volume, another StorageClass, and removing a cache kpack's default cannot replace", () => {
    assert.deepEqual(paths(vol("5G"), vol("4G")), ["cache.volume.size"]);
    assert.deepEqual(paths(vol("2Gi"), vol("2G")), ["cache.volume.size"]);
    assert.deepEqual(paths(vol("2G"), vol("2G", "fast")), ["cache.volume.storageClassName"]);
    assert.deepEqual(paths(vol("2G", "fast"), vol("2G")), ["cache.volume.storageClassName"]);
    assert.deepEqual(paths(vol("5G"), undefined), ["cache"]);
    assert.deepEqual(paths(vol("1G", "fast"), undefined), ["cache"]);
    const [shrink] = cacheTransitionProblems(vol("5G"), vol("4G"));
    assert.match(shrink.message, /cannot shrink a volume cache \(it is 5G, this asks for 4G\)\. Keep 5G or more, or switch to a registry cache/);
    const [removed] = cacheTransitionProblems(vol("5G"), undefined);
    assert.match(removed.message, /kpack's default, a 2G volume on the default StorageClass/);
  });

  it("replaces a cache of the other kind (kpack's unowned default volume) in one merge patch", () => {
    assert.deepEqual(cacheReplacementPatch(liveWith({ volume: { size: "2G" } }), reg("127.0.0.1:5000/team/app-cache")), {
      spec: { cache: { volume: null, registry: { tag: "127.0.0.1:5000/team/app-cache" } } },
    });
    assert.deepEqual(cacheReplacementPatch(liveWith({ registry: { tag: "127.0.0.1:5000/team/app-cache" } }), vol("3G")), {
      spec: { cache: { registry: null, volume: { size: "3G" } } },
    });
    assert.equal(cacheReplacementPatch(liveWith({ volume: { size: "2G" } }), vol("3G")), undefined);
    assert.equal(cacheReplacementPatch(liveWith(undefined), reg("127.0.0.1:5000/team/app-cache")), undefined);
    assert.equal(cacheReplacementPatch(undefined, reg("127.0.0.1:5000/team/app-cache")), undefined);
    assert.equal(cacheReplacementPatch(liveWith({ volume: { size: "2G" } }), undefined), undefined);
  });

  it("names a volume the program cannot replace kpack's default with, before anything is written", () => {
    assert.match(
      liveVolumeConflict(liveWith({ volume: { size: "2G" } }), vol("1G")) ?? "",
      /the Image has a 2G volume cache \(kpack's default\): kpack cannot shrink/,
    );
    assert.match(liveVolumeConflict(liveWith({ volume: { size: "2G" } }), vol("2G", "fast")) ?? "", /another StorageClass/);
    assert.equal(liveVolumeConflict(liveWith({ volume: { size: "2G" } }), vol("5G")), undefined);
    assert.equal(liveVolumeConflict(liveWith({ registry: { tag: "127.0.0.1:5000/team/app-cache" } }), vol("1G")), undefined);
  });
});
