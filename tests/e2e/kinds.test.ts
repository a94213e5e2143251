import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import * as kpack from "../../sdk";
import { testEnv, TestEnv } from "../../devenv/test-env";
import type { KpackEnv } from "../../devenv/kpack-env";
import { buildImage, filesDir } from "../../devenv/imagetool";
import { getManifest } from "../../devenv/registry";
import { kube } from "../../provider/kube/client";
import { waitUntil } from "../../provider/kube/objects";

type Obj = k8s.KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };
const KPACK = "kpack.io/v1alpha2";

/**
 * Issue 4 end to end: one program declaring every kind, run by a real pulumi
 * CLI against the real kpack controller (builds run by the build-pod runner from their real images).
 */
describe("typed kinds: pulumi up/preview/refresh/destroy against real kpack", function () {
  let env: TestEnv;
  let kp: KpackEnv;
  let objects: k8s.KubernetesObjectApi;
  let ns: string;
  let sourceUrl: string;

  async function read(kind: string, name: string, namespace?: string): Promise<Obj | undefined> {
    try {
      return await objects.read<Obj>({ apiVersion: KPACK, kind, metadata: { name, namespace } });
    } catch (e) {
      if ((e as { code?: number }).code === 404) return undefined;
      throw e;
    }
  }

  before(async () => {
    env = await testEnv();
    kp = await env.kpack();
    objects = k8s.KubernetesObjectApi.makeApiClient(env.kubeConfig);
    ns = await env.namespace("e2e-kinds");
    const src = filesDir(path.join(env.cluster.workDir, "kpack"), "e2e-source", { "index.html": "<h1>e2e</h1>\n" });
    const pushed = await buildImage({ layers: [{ dir: src }], tags: [`${kp.registry.host}/pulumi-kpack/e2e-source:1`] });
    const manifest = JSON.parse((await getManifest(pushed.ref)).body ?? "{}") as { layers: Array<{ digest: string }> };
    sourceUrl = `${kp.registry.url}/v2/pulumi-kpack/e2e-source/blobs/${manifest.layers[0].digest}`;
  });

  it("brings every kind to Ready, exports the built digest, and changes nothing on a second up", async () => {
    const reg = kp.registry.host;
    const img = kp.images;
    const appTag = `${reg}/${ns}/app`;
    const program = async () => {
      const stack = new kpack.ClusterStack("stack", { stackId: img.stackId, buildImage: img.buildImage, runImage: img.runImage });
      const store = new kpack.ClusterStore("store", { sources: [{ image: img.buildpacks[0].image }] });
      const lifecycle = new kpack.ClusterLifecycle("lifecycle", { image: img.lifecycleImage });
      const extra = new kpack.ClusterBuildpack("static", { image: img.buildpacks[1].image });
      const builder = new kpack.Builder("builder", {
        namespace: ns,
        tag: `${reg}/${ns}/builder`,
        stack,
        store,
        lifecycle,
        order: [{ group: [{ id: img.buildpacks[0].id }, { buildpack: extra, optional: true }] }],
      });
      const app = new kpack.Image("app", { namespace: ns, tag: appTag, builder, source: { blob: { url: sourceUrl } } });
      return {
        latestImage: app.latestImage,
        digest: app.digest,
        buildCounter: app.buildCounter,
        imageName: app.name,
        builderImage: builder.latestImage,
        builderBuildpacks: builder.buildpacks,
        runImage: stack.resolvedRunImage,
        storeBuildpacks: store.buildpacks,
        lifecycleVersion: lifecycle.version,
        names: { stack: stack.name, store: store.name, lifecycle: lifecycle.name, extra: extra.name, builder: builder.name },
      };
    };
    const stack = await env.pulumi.stack("kinds", "dev", program);
    try {
      const t0 = Date.now();
      const up = await stack.up();
      process.stderr.write(`      pulumi up of all kinds through Image Ready: ${((Date.now() - t0) / 1000).toFixed(1)}s\n`);
      const out = Object.fromEntries(Object.entries(up.outputs).map(([k, v]) => [k, v.value])) as Record<string, unknown>;
      const names = out.names as Record<string, string>;

      // The digest exported is the one the registry serves for the Image's tag.
      const served = await getManifest(`${appTag}:latest`);
      assert.equal(served.status, 200);
      assert.equal(out.latestImage, `${appTag}@${served.digest}`);
      assert.equal(out.digest, served.digest);
      assert.equal(out.buildCounter, 1);
      assert.match(String(out.builderImage), new RegExp(`^${reg.replace(/[.]/g, "\\.")}/${ns}/builder(:[\\w.-]+)?@sha256:[0-9a-f]{64}$`));
      assert.deepEqual((out.builderBuildpacks as { id: string }[]).map((b) => b.id).sort(), img.buildpacks.map((b) => b.id).sort());
      assert.match(String(out.runImage), /@sha256:[0-9a-f]{64}$/);
      assert.deepEqual(
        (out.storeBuildpacks as { id: string; version: string }[]).map((b) => `${b.id}@${b.version}`),
        [`${img.buildpacks[0].id}@${img.buildpacks[0].version}`],
      );
      assert.equal(out.lifecycleVersion, img.lifecycleVersion);

      // Every default is written explicitly (no webhook here).
      const image = (await read("Image", String(out.imageName), ns))!;
      assert.equal(image.spec?.serviceAccountName, "default");
      assert.equal(image.spec?.imageTaggingStrategy, "BuildNumber");
      assert.deepEqual(image.spec?.builder, { kind: "Builder", name: names.builder });
      const builderObj = (await read("Builder", names.builder, ns))!;
      assert.deepEqual(builderObj.spec?.lifecycle, { kind: "ClusterLifecycle", name: names.lifecycle });

      // No change: preview says so, and a second up writes nothing to the cluster.
      const appliedAt = async () =>
        Promise.all(
          [
            read("ClusterStack", names.stack),
            read("ClusterStore", names.store),
            read("ClusterLifecycle", names.lifecycle),
            read("ClusterBuildpack", names.extra),
            read("Builder", names.builder, ns),
            read("Image", String(out.imageName), ns),
          ].map(async (p) => JSON.stringify((await p)?.metadata?.managedFields?.filter((f) => f.manager === "pulumi-kpack"))),
        );
      const before = await appliedAt();
      await stack.preview({ expectNoChanges: true });
      const again = await stack.up();
      assert.deepEqual(again.summary.resourceChanges, { same: 7 });
      assert.deepEqual(await appliedAt(), before, "the second up applied something");

      // A rebuild kpack makes on its own shows after refresh. The same inputs through the real lifecycle
      // give the same image (CNB builds are reproducible), so the digest stays; a rebuild with a new digest
      // (a git push) is in real-builds.test.ts.
      const builds = await objects.list<Obj>(
        KPACK,
        "Build",
        ns,
        undefined,
        undefined,
        undefined,
        undefined,
        `image.kpack.io/image=${String(out.imageName)}`,
      );
      assert.equal(builds.items.length, 1);
      await objects.patch(
        {
          apiVersion: KPACK,
          kind: "Build",
          metadata: { name: builds.items[0].metadata!.name!, namespace: ns, annotations: { "image.kpack.io/additionalBuildNeeded": "e2e" } },
        },
        undefined,
        undefined,
        undefined,
        undefined,
        k8s.PatchStrategy.MergePatch,
      );
      await waitUntil(
        kube({ kubeconfig: env.cluster.kubeconfig }),
        { apiVersion: KPACK, kind: "Image", name: String(out.imageName), namespace: ns },
        (o) => {
          const s = o?.status as { buildCounter?: number; latestBuildRef?: string; conditions?: Array<{ type: string; status: string }> } | undefined;
          return (
            s?.buildCounter === 2 &&
            !!s.latestBuildRef?.endsWith("-build-2") &&
            s.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true
          );
        },
        120_000,
        "for kpack to finish build 2",
      );
      const rebuilt = await getManifest(`${appTag}:latest`);
      assert.equal(rebuilt.digest, served.digest, "the same inputs built the same image");
      await stack.refresh();
      const state = await stack.exportStack();
      const imageState = (state.deployment as { resources: { type: string; outputs?: Record<string, unknown> }[] }).resources.find(
        (r) => r.type === "pulumi-nodejs:dynamic/kpack:Image",
      )!;
      assert.equal(imageState.outputs?.latestImage, `${appTag}@${rebuilt.digest}`);
      assert.equal(imageState.outputs?.buildCounter, 2);
      assert.match(String(imageState.outputs?.latestBuildRef), /-build-2$/);
      // And the refreshed state still matches the program: no phantom diff.
      await stack.preview({ expectNoChanges: true });

      await stack.destroy();
      for (const [kind, name, n] of [
        ["ClusterStack", names.stack],
        ["ClusterStore", names.store],
        ["ClusterLifecycle", names.lifecycle],
        ["ClusterBuildpack", names.extra],
        ["Builder", names.builder, ns],
        ["Image", String(out.imageName), ns],
      ] as [string, string, string?][]) {
        assert.equal(await read(kind, name, n), undefined, `${kind} ${name} is left after destroy`);
      }
    } finally {
      await stack.destroy().catch(() => undefined);
    }
  });

  it("fails preview of a bad program naming the fields, and creates nothing", async () => {
    const program = async () => {
      new kpack.Image("bad", {
        namespace: ns,
        tag: "Not A Reference",
        builder: { kind: "Builder", name: "nope" },
        source: { blob: { url: sourceUrl }, registry: { image: `${kp.registry.host}/src:1` } },
        successBuildHistoryLimit: 0,
      });
      return {};
    };
    const stack = await env.pulumi.stack("kinds-bad", "dev", program);
    let message = "";
    await stack.preview().catch((e: Error) => (message = e.message));
    assert.match(message, /Image .*bad.*: tag: /);
    assert.match(message, /source(\.\w+)?: must give exactly one of git, blob, registry/);
    assert.match(message, /successBuildHistoryLimit: /);
    const images = await objects.list(KPACK, "Image", ns);
    assert.equal(images.items.filter((i) => i.metadata?.name?.startsWith("bad")).length, 0);
    await stack.up().catch(() => undefined);
    assert.equal(
      (await objects.list(KPACK, "Image", ns)).items.filter((i) => i.metadata?.name?.startsWith("bad")).length,
      0,
      "a failed up created it",
    );
  });
});
