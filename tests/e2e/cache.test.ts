import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as k8s from "@kubernetes/client-node";
import * as kpack from "../../sdk";
import { testEnv, TestEnv } from "../../devenv/test-env";
import { localBuilder } from "./fixtures/builder";
import type { KpackEnv } from "../../devenv/kpack-env";
import { sourceBlob } from "../../devenv/examples";

type Cache = kpack.ImageArgs["cache"];
type Obj = k8s.KubernetesObject & { spec?: { cache?: unknown } };

/**
 * Issue 17 item 3: the Image's cache on a cluster like the users' (kpack's
 * webhook on, a default StorageClass): every transition kpack applies works
 * in `pulumi up`; what kpack refuses fails at preview, naming the field and
 * writing nothing.
 */
describe("Image cache on a cluster with kpack's webhook and a default StorageClass", function () {
  let env: TestEnv;
  let kp: KpackEnv;
  let ns: string;
  let sourceUrl: string;

  before(async () => {
    env = await testEnv();
    kp = await env.kpack();
    ns = await env.namespace("e2e-cache");
    sourceUrl = await sourceBlob(env.cluster, kp, "cache", { "index.html": "<h1>cache</h1>\n" });
  });

  it("none → kpack's 2G volume (bound, and used from the second build on) → registry → none → volume 3G; shrinking and removal fail at preview", async () => {
    const reg = kp.registry.host;
    const settings: { cache: Cache; trigger?: string } = { cache: undefined };
    const objects = k8s.KubernetesObjectApi.makeApiClient(env.kubeConfig);
    const core = env.kubeConfig.makeApiClient(k8s.CoreV1Api);
    let imageName = "";
    const liveCache = async () =>
      (await objects.read<Obj>({ apiVersion: "kpack.io/v1alpha2", kind: "Image", metadata: { name: imageName, namespace: ns } })).spec?.cache;
    const claim = async () => core.readNamespacedPersistentVolumeClaim({ name: `${imageName}-cache`, namespace: ns }).catch(() => undefined);
    const program = async () => {
      const { builder } = localBuilder(kp, ns);
      const app = new kpack.Image("app", {
        namespace: ns,
        tag: `${reg}/${ns}/app`,
        builder,
        source: { blob: { url: sourceUrl } },
        cache: settings.cache,
        triggerBuild: settings.trigger,
      });
      return { name: app.name, latestImage: app.latestImage, buildCounter: app.buildCounter };
    };
    const stack = await env.pulumi.stack("cache", "dev", program);
    try {
      // No cache: kpack's default, a 2G volume on the default StorageClass, provisioned, bound and mounted by the build.
      const up = await stack.up();
      imageName = String(up.outputs.name.value);
      assert.deepEqual(await liveCache(), { volume: { size: "2G" } });
      // Read as v1alpha1, the Image pulumi-kpack wrote goes through kpack's conversion webhook: v1alpha1
      // has no spec.cache, only spec.cacheSize (a conversion of strategy None would keep the v1alpha2 shape).
      const asV1alpha1 = await objects.read<k8s.KubernetesObject & { spec?: Record<string, unknown> }>({
        apiVersion: "kpack.io/v1alpha1",
        kind: "Image",
        metadata: { name: imageName, namespace: ns },
      });
      assert.equal(asV1alpha1.apiVersion, "kpack.io/v1alpha1");
      assert.equal(asV1alpha1.spec?.cacheSize, "2G", `converted by the webhook: ${JSON.stringify(asV1alpha1.spec)}`);
      assert.equal(asV1alpha1.spec?.cache, undefined);
      const pvc = await claim();
      assert.equal(pvc?.status?.phase, "Bound", `the cache claim is bound: ${JSON.stringify(pvc?.status)}`);
      assert.equal(pvc?.spec?.storageClassName, "standard");
      const pv = await core.readPersistentVolume({ name: pvc.spec.volumeName! });
      assert.match(pv.spec?.hostPath?.path ?? "", /^\/tmp\/hostpath_pv\//);
      const buildCache = async (n: number) =>
        (await objects.read<Obj>({ apiVersion: "kpack.io/v1alpha2", kind: "Build", metadata: { name: `${imageName}-build-${n}`, namespace: ns } }))
          .spec?.cache;
      // Build 1 may start before the Image's status names the claim kpack just made (image_builds.go reads
      // status.buildCacheName), so it may run without it; the next build mounts it, and the exporter
      // writes the cache into the bound volume's directory.
      assert.ok(
        [JSON.stringify({ volume: {} }), JSON.stringify({ volume: { persistentVolumeClaimName: `${imageName}-cache` } })].includes(
          JSON.stringify(await buildCache(1)),
        ),
      );
      settings.trigger = "use-the-volume";
      const second = await stack.up();
      assert.equal(second.outputs.buildCounter.value, 2);
      assert.deepEqual(await buildCache(2), { volume: { persistentVolumeClaimName: `${imageName}-cache` } });
      assert.ok(fs.readdirSync(pv.spec!.hostPath!.path).length > 0, "the build wrote its cache into the volume");

      // none → registry: the default volume no manager owns is replaced, not merged next to the registry cache.
      const cacheTag = `${reg}/${ns}/app-cache`;
      settings.cache = { registry: { tag: cacheTag } };
      await stack.up();
      assert.deepEqual(await liveCache(), { registry: { tag: cacheTag } });

      // registry → none: kpack's default comes back.
      settings.cache = undefined;
      await stack.up();
      assert.deepEqual(await liveCache(), { volume: { size: "2G" } });

      // none → a larger volume: the claim grows (the class allows expansion).
      settings.cache = { volume: { size: "3G" } };
      await stack.up();
      assert.deepEqual(await liveCache(), { volume: { size: "3G" } });
      assert.equal((await claim())?.spec?.resources?.requests?.storage, "3G");

      // What kpack refuses fails at preview, naming the field, and the Image keeps its cache.
      for (const [cache, field] of [
        [{ volume: { size: "1G" } }, /cache\.volume\.size: kpack cannot shrink a volume cache \(it is 3G, this asks for 1G\)/],
        [
          { volume: { size: "3G", storageClassName: "fast" } },
          /cache\.volume\.storageClassName: kpack cannot move a volume cache to another StorageClass/,
        ],
        [undefined, /cache: removing this volume cache \(3G\) gives the Image kpack's default, a 2G volume/],
      ] as const) {
        settings.cache = cache;
        let message = "";
        await stack.preview().catch((e: Error) => (message = e.message));
        assert.match(message, field);
        assert.deepEqual(await liveCache(), { volume: { size: "3G" } });
      }

      // volume → registry, through a field pulumi-kpack owns: one apply.
      settings.cache = { registry: { tag: cacheTag } };
      const last = await stack.up();
      assert.deepEqual(await liveCache(), { registry: { tag: cacheTag } });
      // No cache change started a build (kpack #1198): build 2 is still the latest.
      assert.equal(last.outputs.buildCounter.value, 2);
      await stack.preview({ expectNoChanges: true });
    } finally {
      await stack.destroy().catch(() => undefined);
    }
  });
});
