import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import type { Stack } from "@pulumi/pulumi/automation";
import * as kpack from "../../sdk";
import { testEnv, TestEnv } from "../../devenv/test-env";
import type { KpackEnv } from "../../devenv/kpack-env";
import { sourceBlob, sourceImage } from "../../devenv/examples";
import { nudgeSourceResolvers } from "../../devenv/git-server";
import { getManifest } from "../../devenv/registry";
import { buildImage, filesDir } from "../../devenv/imagetool";
import { readImageFile, sourceTreeHash } from "../../devenv/image-files";
import { kube, Kube } from "../../provider/kube/client";
import { KubeObject, waitUntil } from "../../provider/kube/objects";
import { condition } from "../../provider/conditions";

/**
 * Real builds through `pulumi up`: app source from a loopback git server, an
 * HTTP blob and a registry image, built by the real CNB lifecycle with the
 * test buildpacks (devenv/buildpacks) in pods the build-pod runner runs from
 * their real images. A push to the git branch makes kpack build again (reason
 * COMMIT) and `pulumi refresh` shows it; a new run image makes the real
 * rebaser rebase (reason STACK); the second build finds the first one's
 * cache; a failing detect and a failing build each give a readable error and
 * keep the previous image.
 */
describe("real builds", function () {
  let env: TestEnv;
  let kp: KpackEnv;
  let k: Kube;
  let core: k8s.CoreV1Api;
  let ns: string;
  let stack: Stack;
  const app = { "index.html": "<h1>real build</h1>\n", Procfile: "web: httpd\n" };
  const settings = { runImage: "", failingBlob: "" };

  const build = (name: string) =>
    waitUntil(
      k,
      { apiVersion: "kpack.io/v1alpha2", kind: "Build", name, namespace: ns },
      (b) => ["True", "False"].includes(condition(b, "Succeeded")?.status ?? ""),
      300_000,
      "to finish",
    );
  const stepLog = (buildName: string, step: string) => core.readNamespacedPodLog({ name: `${buildName}-build-pod`, namespace: ns, container: step });
  /** The Image resource's outputs as the stack's state holds them. */
  async function stateOf(logicalName: string): Promise<Record<string, unknown>> {
    const state = await stack.exportStack();
    const resources = (state.deployment as { resources?: Array<{ urn: string; outputs?: Record<string, unknown> }> }).resources ?? [];
    const r = resources.find((x) => x.urn.endsWith(`::${logicalName}`));
    assert.ok(r, `the stack has a resource ${logicalName}`);
    return r.outputs ?? {};
  }
  /** The source hash the test buildpack wrote into the app image's launch layer (/layers/<buildpack>/proof/proof.txt). */
  async function sourceHashIn(ref: string, buildpackId: string): Promise<string | undefined> {
    const proof = await readImageFile(ref, `layers/${buildpackId.replace(/\//g, "_")}/proof/proof.txt`);
    return /^source-sha256=([0-9a-f]{64})$/m.exec(proof ?? "")?.[1];
  }
  /** The buildpacks the lifecycle's exporter recorded in the app image's labels. */
  async function buildpacksOf(ref: string): Promise<string[]> {
    const manifest = JSON.parse((await getManifest(ref)).body ?? "{}") as { config: { digest: string } };
    const [host, ...rest] = ref.split("@")[0].split("/");
    const config = (await (await fetch(`http://${host}/v2/${rest.join("/")}/blobs/${manifest.config.digest}`)).json()) as {
      config: { Labels: Record<string, string> };
    };
    const metadata = JSON.parse(config.config.Labels["io.buildpacks.build.metadata"]) as { buildpacks: Array<{ id: string }> };
    return metadata.buildpacks.map((b) => b.id);
  }

  before(async function () {
    env = await testEnv();
    kp = await env.kpack();
    k = kube({ kubeconfig: env.cluster.kubeconfig, context: env.cluster.context });
    core = env.kubeConfig.makeApiClient(k8s.CoreV1Api);
    ns = await env.namespace("e2e-real");
    settings.runImage = kp.images.runImage;
    await kp.git.commit(ns, app, "first version");
    const blobUrl = await sourceBlob(env.cluster, kp, `${ns}-blob`, app);
    const registryImage = await sourceImage(env.cluster, kp, `${ns}-image-source`, app);
    const reg = kp.registry.host;
    const img = kp.images;
    const hello = img.buildpacks.find((b) => b.id.endsWith("/hello")) ?? img.buildpacks[0];
    settings.failingBlob = blobUrl;
    const program = async () => {
      const clusterStack = new kpack.ClusterStack("stack", { stackId: img.stackId, buildImage: img.buildImage, runImage: settings.runImage });
      const store = new kpack.ClusterStore("store", { sources: [{ image: hello.image }] });
      const builder = new kpack.Builder("builder", {
        namespace: ns,
        tag: `${reg}/${ns}/builder`,
        stack: clusterStack,
        store,
        order: [{ group: [{ id: hello.id }] }],
      });
      const image = (name: string, source: kpack.ImageArgs["source"], cache = false) =>
        new kpack.Image(name, {
          namespace: ns,
          tag: `${reg}/${ns}/${name}`,
          builder,
          source,
          ...(cache ? { cache: { registry: { tag: `${reg}/${ns}/${name}-cache` } } } : {}),
        });
      const git = image("git-app", { git: { url: kp.git.url(ns), revision: "main" } }, true);
      const blob = image("blob-app", { blob: { url: settings.failingBlob } });
      const registry = image("registry-app", { registry: { image: registryImage } });
      return {
        git: git.latestImage,
        gitBuild: git.latestBuildRef,
        blob: blob.latestImage,
        blobBuild: blob.latestBuildRef,
        registry: registry.latestImage,
        registryBuild: registry.latestBuildRef,
      };
    };
    stack = await env.pulumi.stack("real-builds", "dev", program);
  });

  after(async function () {
    this.timeout(180_000);
    await stack?.destroy().catch(() => undefined);
  });

  it("builds git, blob and registry sources with the real lifecycle and buildpacks", async () => {
    const up = await stack.up();
    const hello = kp.images.buildpacks.find((b) => b.id.endsWith("/hello")) ?? kp.images.buildpacks[0];
    for (const [name, key] of [
      ["git-app", "git"],
      ["blob-app", "blob"],
      ["registry-app", "registry"],
    ] as const) {
      const ref = String(up.outputs[key].value);
      assert.match(ref, new RegExp(`/${ns}/${name}@sha256:[0-9a-f]{64}$`));
      assert.equal((await getManifest(ref)).status, 200, `the registry serves ${ref}`);
      assert.deepEqual(await buildpacksOf(ref), [hello.id], `${name}: the exporter's labels name the buildpack that ran`);
      const buildName = String(up.outputs[`${key}Build`].value);
      assert.match(await stepLog(buildName, "build"), /detected|cache layer|proof/i, `${name}: the buildpack's build ran`);
      // Checked by content: the image holds the hash of exactly the source build-init fetched.
      assert.equal(await sourceHashIn(ref, hello.id), sourceTreeHash(app), `${name}: the app image was built from the source given`);
    }
  });

  it("builds again with reason COMMIT after a push to the branch, reusing the cache; refresh shows the new digest", async () => {
    const before = await stateOf("git-app");
    const build2 = String(before.latestBuildRef).replace(/-build-\d+$/, "-build-2");
    await kp.git.commit(ns, { "index.html": "<h1>real build, fixed</h1>\n" }, "push a fix");
    assert.ok((await nudgeSourceResolvers(env.kubeConfig, kp.git.url(ns))) > 0, "a SourceResolver watches the repository");
    const done = await build(build2).catch(async () => undefined);
    assert.ok(done, "kpack started build 2 after the push");
    assert.equal(done.metadata?.annotations?.["image.kpack.io/reason"], "COMMIT");
    assert.equal(condition(done, "Succeeded")?.status, "True", JSON.stringify(condition(done, "Succeeded")));
    const log = await stepLog(build2, "build");
    assert.match(log, /cache layer found: build \d+ \(previous build 1\)/, `the second build found the first one's cache layer:\n${log}`);

    await stack.refresh();
    const after = await stateOf("git-app");
    assert.notEqual(after.latestImage, before.latestImage);
    assert.equal(after.latestImage, (done.status as { latestImage?: string }).latestImage);
    // Built from the new commit's tree: the pushed file, and the one the push left as it was.
    const hello = kp.images.buildpacks.find((b) => b.id.endsWith("/hello")) ?? kp.images.buildpacks[0];
    assert.equal(await sourceHashIn(String(after.latestImage), hello.id), sourceTreeHash({ ...app, "index.html": "<h1>real build, fixed</h1>\n" }));
  });

  it("rebases onto a new run image with the real rebaser (reason STACK); refresh shows the new digest", async () => {
    const before = await stateOf("blob-app");
    settings.runImage = await kpRunImage2();
    // The ClusterStack changes; the Image's own inputs do not, so kpack's STACK build shows up on refresh.
    await stack.up();
    const imageName = String(before.latestBuildRef).replace(/-build-\d+$/, "");
    let rebased: KubeObject | undefined;
    for (let n = Number(/-build-(\d+)$/.exec(String(before.latestBuildRef))?.[1] ?? 0) + 1; !rebased; n++) {
      const b = await build(`${imageName}-build-${n}`);
      if (b?.metadata?.annotations?.["image.kpack.io/reason"]?.includes("STACK")) rebased = b;
      else assert.ok(n < 10, "kpack made no STACK build");
    }
    assert.equal(condition(rebased, "Succeeded")?.status, "True", JSON.stringify(condition(rebased, "Succeeded")));
    const pod = await core.readNamespacedPod({ name: `${rebased.metadata?.name}-build-pod`, namespace: ns });
    assert.deepEqual(
      pod.spec?.initContainers?.map((c) => c.name),
      ["rebase"],
      "a rebase, not a full build",
    );
    await stack.refresh();
    const after = await stateOf("blob-app");
    assert.notEqual(after.latestImage, before.latestImage, "the rebase pushed a new digest");
    assert.equal(after.latestImage, (rebased.status as { latestImage?: string }).latestImage);
  });

  async function kpRunImage2(): Promise<string> {
    const dir = filesDir(path.join(env.cluster.workDir, "kpack"), `${ns}-run2`, { "etc/run-image-version": "2\n" });
    const pushed = await buildImage({ base: kp.images.runImage, layers: [{ dir }], tags: [`${kp.registry.host}/${ns}/run:2`] });
    return pushed.tags[0];
  }

  // A failing detect (exit 100) is logged by the lifecycle at debug level only, so its message is the lifecycle's own.
  for (const [knob, step, said] of [
    ["fail-detect", "detect", "No buildpack groups passed detection"],
    ["fail-build", "build", "the build broke on purpose"],
  ] as const) {
    it(`fails in ${step} with a readable error, keeps the previous image and the failed pod`, async () => {
      const before = await stateOf("blob-app");
      settings.failingBlob = await sourceBlob(env.cluster, kp, `${ns}-${knob}`, { ...app, [knob]: "the build broke on purpose\n" });
      let message = "";
      await stack.up().catch((e: Error) => (message = e.message));
      assert.match(message, /Image [\w/-]*blob-app/, `names the Image: ${message}`);
      const m = /Build (blob-app-[0-9a-f]+-build-\d+) failed/.exec(message);
      assert.ok(m, `names the Build: ${message}`);
      assert.match(message, new RegExp(`Step ${step} failed \\(exit code \\d+\\)`), `names the step: ${message}`);
      assert.ok(message.includes(said), `carries the lifecycle's message: ${message}`);
      const after = await stateOf("blob-app");
      assert.equal(after.latestImage, before.latestImage, "the previous latestImage stays the output");
      const pod = await core.readNamespacedPod({ name: `${m[1]}-build-pod`, namespace: ns });
      assert.equal(pod.status?.phase, "Failed", "the failed pod is left in place");
    });
  }
});
