import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { testEnv, TestEnv } from "../../devenv/test-env";
import type { KpackEnv } from "../../devenv/kpack-env";
import { exampleStack } from "../../devenv/examples";
import { nudgeSourceResolvers } from "../../devenv/git-server";
import { BUILDPACKS, pushBuildpackage } from "../../devenv/cnb-images";
import { buildImage, filesDir } from "../../devenv/imagetool";
import { getManifest } from "../../devenv/registry";
import { readImageLabels } from "../../devenv/image-files";
import { kube } from "../../provider/kube/client";
import { waitUntil } from "../../provider/kube/objects";
import type { BuildProvenance } from "../../sdk";

type Outputs = Record<string, { value: unknown }>;
const KPACK = "kpack.io/v1alpha2";

/**
 * Issue 18 items 1–3: the rebuilds kpack makes on its own reach the running
 * app with one `pulumi up --refresh` of examples/app-deployment: a commit
 * pushed to the branch (COMMIT), a new version of a buildpack under the tag
 * the ClusterStore reads (BUILDPACK), a new run image under the tag the
 * ClusterStack reads (STACK). kpack re-reads a store's and a stack's tags
 * when it reconciles them, which its informers' resync does every 10 hours
 * (cmd/controller/main.go); the test touches the object instead, as that
 * resync would. `pulumi preview --refresh` says what kpack built; the
 * outputs say what the digest was built from.
 */
describe("day two: kpack's own rebuilds reach the Deployment with pulumi up --refresh", function () {
  let env: TestEnv;
  let kp: KpackEnv;
  let ns: string;

  before(async () => {
    env = await testEnv();
    kp = await env.kpack();
    ns = await env.namespace("e2e-day-two");
  });

  it("COMMIT, BUILDPACK and STACK builds each roll the Deployment to their digest; preview names each build; provenance says what was built from what", async () => {
    const reg = kp.registry.host;
    const hello = BUILDPACKS.find((b) => b.repo === "hello")!;
    // Tags that move, as upstream stacks and buildpackages do.
    const storeTag = `${reg}/${ns}/buildpacks/hello:stable`;
    const runTag = `${reg}/${ns}/run:stable`;
    const scratch = path.join(env.cluster.workDir, "kpack", ns);
    await pushBuildpackage(scratch, hello, storeTag);
    const pushRun = async (n: number) => {
      const dir = filesDir(scratch, `run-${n}`, { "etc/run-image-version": `${n}\n` });
      return (await buildImage({ base: kp.images.runImage, layers: [{ dir }], tags: [runTag] })).ref;
    };
    await pushRun(1);
    const repo = `day-two-${ns}`;
    const commit1 = await kp.git.commit(repo, { "index.html": "<h1>day two</h1>\n" }, "first version");

    const stack = await exampleStack(env.cluster, kp, env.pulumi, "app-deployment", "day-two", {
      namespace: ns,
      skipRolloutWait: "true",
      gitUrl: kp.git.url(repo),
      buildpackage: storeTag,
      buildpackId: hello.id,
      runImage: runTag,
    });
    const k = kube({ kubeconfig: env.cluster.kubeconfig });
    const objects = k8s.KubernetesObjectApi.makeApiClient(env.kubeConfig);
    const apps = env.kubeConfig.makeApiClient(k8s.AppsV1Api);
    const value = (o: Outputs, key: string) => o[key]?.value;
    const appTag = `${reg}/app-deployment-day-two/app`;
    try {
      const first = await stack.up();
      const imageName = await (async () => {
        const l = await objects.list<k8s.KubernetesObject>(KPACK, "Image", ns);
        return l.items[0].metadata!.name!;
      })();
      const deployment = String(value(first.outputs, "deploymentName"));
      const deployedImage = async () =>
        (await apps.readNamespacedDeployment({ name: deployment, namespace: ns })).spec?.template.spec?.containers[0].image;
      assert.equal(await deployedImage(), value(first.outputs, "image"));
      const p1 = value(first.outputs, "provenance") as BuildProvenance;
      assert.deepEqual(p1.source.git, { url: kp.git.url(repo), revision: commit1 }, "built from the commit the branch pointed at");
      assert.deepEqual(p1.buildpacks, [{ id: hello.id, version: hello.version }]);
      assert.match(p1.runImage, /@sha256:[0-9a-f]{64}$/);
      assert.equal(p1.reason, "CONFIG");

      /** Waits until kpack has finished build n on its own, then runs the day-two loop: preview --refresh, up --refresh. */
      const loop = async (n: number, reason: string) => {
        const image = await waitUntil(
          k,
          { apiVersion: KPACK, kind: "Image", name: imageName, namespace: ns },
          (o) => {
            const s = o?.status as { buildCounter?: number; conditions?: Array<{ type: string; status: string }> } | undefined;
            return (s?.buildCounter ?? 0) >= n && s?.conditions?.some((c) => c.type === "Ready" && c.status !== "Unknown") === true;
          },
          300_000,
          `to finish kpack's build #${n}`,
        );
        const built = image!.status as { latestImage?: string; latestBuildReason?: string };
        assert.equal(built.latestBuildReason, reason, `kpack's build #${n} ran for ${reason}`);
        let said = "";
        await stack.preview({ refresh: true, onOutput: (s) => (said += s) });
        const up = await stack.up({ refresh: true });
        assert.equal(await deployedImage(), built.latestImage, `the Deployment runs build #${n}'s digest`);
        assert.equal(value(up.outputs, "image"), built.latestImage);
        assert.equal(built.latestImage, `${appTag}@${(await getManifest(`${appTag}:latest`)).digest}`);
        assert.deepEqual(up.summary.resourceChanges, { same: 6, update: 1 }, "only the Deployment changes: nothing else is rebuilt or replaced");
        assert.equal(value(up.outputs, "buildCounter"), n, "no build besides kpack's");
        // Provenance agrees with what the real lifecycle wrote into the pushed image's labels.
        const provenance = value(up.outputs, "provenance") as BuildProvenance;
        const labels = await readImageLabels(built.latestImage);
        const buildMeta = JSON.parse(labels["io.buildpacks.build.metadata"] ?? "{}") as { buildpacks?: Array<{ id: string; version: string }> };
        const lifecycleMeta = JSON.parse(labels["io.buildpacks.lifecycle.metadata"] ?? "{}") as { runImage?: { reference?: string } };
        assert.deepEqual(
          provenance.buildpacks,
          (buildMeta.buildpacks ?? []).map((b) => ({ id: b.id, version: b.version })),
          "the buildpacks the lifecycle recorded",
        );
        assert.equal(
          provenance.runImage.split("@")[1],
          lifecycleMeta.runImage?.reference?.split("@")[1] ?? lifecycleMeta.runImage?.reference,
          "the run image the lifecycle based it on",
        );
        assert.equal(provenance.image, built.latestImage);
        return { said, provenance, latestImage: built.latestImage };
      };

      // COMMIT: a push to the branch.
      const commit2 = await kp.git.commit(repo, { "index.html": "<h1>day two, fixed</h1>\n" }, "a fix");
      assert.ok((await nudgeSourceResolvers(env.kubeConfig, kp.git.url(repo))) > 0);
      const c = await loop(2, "COMMIT");
      assert.match(c.said, new RegExp(`kpack built #2 \\(COMMIT ${commit2.slice(0, 7)}\\) since the last up: the digest changes`));
      assert.equal(c.provenance.source.git?.revision, commit2);
      assert.equal(c.provenance.reason, "COMMIT");

      // BUILDPACK: a new version of the buildpack under the store's tag.
      await pushBuildpackage(scratch, { ...hello, version: "1.0.1" }, storeTag);
      await touch(objects, "ClusterStore");
      const b = await loop(3, "BUILDPACK");
      assert.match(b.said, /kpack built #3 \(BUILDPACK\) since the last up: the digest changes/);
      assert.deepEqual(b.provenance.buildpacks, [{ id: hello.id, version: "1.0.1" }]);

      // STACK: a patched run image under the stack's tag: kpack rebases.
      const run2 = await pushRun(2);
      await touch(objects, "ClusterStack");
      const s = await loop(4, "STACK");
      assert.match(s.said, /kpack built #4 \(STACK\) since the last up: the digest changes/);
      assert.equal(s.provenance.runImage.split("@")[1], run2.split("@")[1], "based on the new run image");

      // Nothing moved since: preview --refresh says nothing of kpack.
      let quiet = "";
      await stack.preview({ refresh: true, expectNoChanges: true, onOutput: (o) => (quiet += o) });
      assert.doesNotMatch(quiet, /kpack (built|started)/);
    } finally {
      await stack.destroy().catch(() => undefined);
    }

    /** What kpack's 10-hour resync would do: reconcile the program's ClusterStore or ClusterStack now. */
    async function touch(api: k8s.KubernetesObjectApi, kind: "ClusterStore" | "ClusterStack"): Promise<void> {
      const l = await api.list<k8s.KubernetesObject>(KPACK, kind);
      // Made by this stack: the annotation holds the resource's URN, urn:pulumi:<stack>::<project>::….
      const mine = l.items.filter((o) => o.metadata?.annotations?.["pulumi-kpack.io/resource"]?.startsWith("urn:pulumi:day-two::"));
      assert.ok(mine.length > 0, `the program's ${kind}`);
      for (const o of mine) {
        await api.patch(
          { apiVersion: KPACK, kind, metadata: { name: o.metadata!.name, annotations: { "pulumi-kpack.test/resync": new Date().toISOString() } } },
          undefined,
          undefined,
          "pulumi-kpack-test-resync",
          undefined,
          k8s.PatchStrategy.MergePatch,
        );
      }
    }
  });
});
