import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { testEnv, TestEnv } from "../../devenv/test-env";
import type { KpackEnv } from "../../devenv/kpack-env";
import { kube, Kube } from "../../provider/kube/client";
import { KubeObject, waitUntil } from "../../provider/kube/objects";
import { condition } from "../../provider/conditions";
import { buildImage, filesDir } from "../../devenv/imagetool";
import { getManifest } from "../../devenv/registry";
import { repoRoot } from "../../devenv/paths";

/**
 * The real kpack controller against the local control plane: kpack objects
 * made directly with client-node (no provider) reach Ready, builds run through
 * the build-pod runner (real lifecycle and buildpacks) and push images the
 * local registry serves.
 *
 * With PULUMI_KPACK_RECORD=1 it also writes the Image and Build watch events
 * it sees to tests/unit/recordings/ for the unit tests of the Image wait.
 */
const KPACK = "kpack.io/v1alpha2";
const RECORD = !!process.env.PULUMI_KPACK_RECORD;

interface Recorded {
  type: string;
  object: KubeObject;
}

/**
 * Collects the watch events of one Image and of its Builds, in the order they
 * arrive (managedFields stripped, to keep recordings small): what the
 * provider's Image wait sees.
 */
async function record(kc: k8s.KubeConfig, namespace: string, name: string): Promise<{ events: Recorded[]; stop(): void }> {
  const events: Recorded[] = [];
  // Only when recording: otherwise no watch to leave open if a test fails before stop().
  if (!RECORD) return { events, stop() {} };
  const onEvent = (type: string, object: KubeObject) => {
    if (type === "BOOKMARK") return;
    const copy = JSON.parse(JSON.stringify(object)) as KubeObject;
    if (copy.metadata) delete copy.metadata.managedFields;
    events.push({ type, object: copy });
  };
  const watch = new k8s.Watch(kc);
  const base = `/apis/${KPACK}/namespaces/${namespace}`;
  const images = await watch.watch(`${base}/images`, { fieldSelector: `metadata.name=${name}` }, onEvent, () => undefined);
  const builds = await watch.watch(`${base}/builds`, { labelSelector: `image.kpack.io/image=${name}` }, onEvent, () => undefined);
  return { events, stop: () => (images.abort(), builds.abort()) };
}

function saveRecording(file: string, description: string, events: Recorded[]): void {
  if (!RECORD) return;
  const dir = path.join(repoRoot, "tests", "unit", "recordings");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, file), JSON.stringify({ description, kinds: ["Image", "Build"], events }, null, 2) + "\n");
}

const ready = (o: KubeObject | undefined) => condition(o, "Ready")?.status === "True";
const settled = (o: KubeObject | undefined) => {
  const s = condition(o, "Succeeded")?.status;
  return s === "True" || s === "False";
};

describe("real kpack controller", function () {
  let env: TestEnv;
  let kp: KpackEnv;
  let k: Kube;
  let ns: string;
  const api = () => k.objects;
  const ref = (kind: string, name: string, namespace?: string) => ({ apiVersion: KPACK, kind, name, namespace });
  let sourceUrl = "";

  before(async function () {
    env = await testEnv();
    kp = await env.kpack();
    k = kube({ kubeconfig: env.cluster.kubeconfig, context: env.cluster.context });
    ns = await env.namespace("kpack-ctl");

    // An app source as a tar.gz blob in the local registry: its blob URL is a
    // plain HTTP download on loopback, as kpack's blob source expects.
    const src = filesDir(path.join(env.cluster.workDir, "kpack"), "app-source", {
      "index.html": "<h1>pulumi-kpack test app</h1>\n",
      Procfile: "web: static\n",
    });
    const pushed = await buildImage({ layers: [{ dir: src }], tags: [`${kp.registry.host}/pulumi-kpack/app-source:1`] });
    const manifest = JSON.parse((await getManifest(pushed.ref)).body ?? "{}") as { layers: Array<{ digest: string }> };
    sourceUrl = `${kp.registry.url}/v2/pulumi-kpack/app-source/blobs/${manifest.layers[0].digest}`;
  });

  it("makes ClusterStack, ClusterStore, Builder and Image Ready, with an image the registry serves", async () => {
    const reg = kp.registry.host;
    const img = kp.images;
    await api().create({
      apiVersion: KPACK,
      kind: "ClusterStack",
      metadata: { name: `${ns}-stack` },
      spec: { id: img.stackId, buildImage: { image: img.buildImage }, runImage: { image: img.runImage } },
    });
    await api().create({
      apiVersion: KPACK,
      kind: "ClusterStore",
      metadata: { name: `${ns}-store` },
      spec: { sources: img.buildpacks.map((b) => ({ image: b.image })) },
    });
    await api().create({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "kpack-builder", namespace: ns } });
    await api().create({
      apiVersion: KPACK,
      kind: "Builder",
      metadata: { name: "builder", namespace: ns },
      spec: {
        tag: `${reg}/${ns}/builder`,
        serviceAccountName: "kpack-builder",
        stack: { kind: "ClusterStack", name: `${ns}-stack` },
        store: { kind: "ClusterStore", name: `${ns}-store` },
        // No lifecycle: kpack uses ClusterLifecycle default-lifecycle from the manifest.
        order: [{ group: img.buildpacks.map((b) => ({ id: b.id })) }],
      },
    });

    const t0 = Date.now();
    for (const r of [ref("ClusterStack", `${ns}-stack`), ref("ClusterStore", `${ns}-store`), ref("Builder", "builder", ns)]) {
      await waitUntil(k, r, ready, 120_000, "to be Ready");
    }
    const builder = await api().read<KubeObject>({ apiVersion: KPACK, kind: "Builder", metadata: { name: "builder", namespace: ns } });
    const builderImage = (builder.status as { latestImage?: string }).latestImage ?? "";
    // kpack tags the builder image "<tag>:<kind>-<namespace>-<name>" when the tag names none (reconciler/builder resolveBuilderRef).
    assert.match(builderImage, new RegExp(`^${reg.replace(/\./g, "\\.")}/${ns}/builder(:[\\w.-]+)?@sha256:[0-9a-f]{64}$`));
    assert.equal((await getManifest(builderImage)).status, 200, "the registry serves the builder image kpack pushed");
    console.log(`      stack, store and builder Ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);

    const rec = await record(env.kubeConfig, ns, "app");
    const created = Date.now();
    await api().create({
      apiVersion: KPACK,
      kind: "Image",
      metadata: { name: "app", namespace: ns },
      spec: {
        tag: `${reg}/${ns}/app`,
        serviceAccountName: "kpack-builder",
        builder: { kind: "Builder", name: "builder" },
        source: { blob: { url: sourceUrl } },
      },
    });
    const image = await waitUntil(k, ref("Image", "app", ns), ready, 180_000, "to be Ready");
    const elapsed = Date.now() - created;
    rec.stop();
    console.log(`      Image creation → Ready: ${(elapsed / 1000).toFixed(2)}s`);
    saveRecording("image-build-succeeded.json", "Image created; first build runs and succeeds; Image becomes Ready.", rec.events);

    const status = image?.status as { latestImage?: string; latestBuildRef?: string; buildCounter?: number };
    assert.match(status.latestImage ?? "", new RegExp(`^${reg.replace(/\./g, "\\.")}/${ns}/app@sha256:[0-9a-f]{64}$`));
    assert.equal(status.latestBuildRef, "app-build-1");
    const served = await getManifest(status.latestImage ?? "");
    assert.equal(served.status, 200, "the registry serves latestImage by digest");
    assert.equal(served.digest, status.latestImage?.split("@")[1]);
    const build = await api().read<KubeObject>({ apiVersion: KPACK, kind: "Build", metadata: { name: "app-build-1", namespace: ns } });
    assert.equal(condition(build, "Succeeded")?.status, "True");
    assert.equal((build.status as { latestImage?: string }).latestImage, status.latestImage);
  });

  it("runs a second build when the latest Build is annotated additionalBuildNeeded", async () => {
    const before = (await api().read<KubeObject>({ apiVersion: KPACK, kind: "Image", metadata: { name: "app", namespace: ns } })).status as {
      latestImage?: string;
    };
    const rec = await record(env.kubeConfig, ns, "app");
    // JSON merge patch, as `kp image trigger` does (a PUT could drop status fields).
    await api().patch(
      {
        apiVersion: KPACK,
        kind: "Build",
        metadata: { name: "app-build-1", namespace: ns, annotations: { "image.kpack.io/additionalBuildNeeded": new Date().toISOString() } },
      },
      undefined,
      undefined,
      undefined,
      undefined,
      k8s.PatchStrategy.MergePatch,
    );
    const build2 = await waitUntil(k, ref("Build", "app-build-2", ns), settled, 180_000, "to finish");
    assert.equal(condition(build2, "Succeeded")?.status, "True", JSON.stringify(condition(build2, "Succeeded")));
    assert.equal(build2?.metadata?.annotations?.["image.kpack.io/reason"], "TRIGGER");
    const latest2 = (build2?.status as { latestImage?: string }).latestImage ?? "";
    const image = await waitUntil(
      k,
      ref("Image", "app", ns),
      (o) => ready(o) && (o?.status as { latestImage?: string }).latestImage === latest2,
      60_000,
      "to report build 2",
    );
    rec.stop();
    saveRecording("image-rebuild-succeeded.json", "Manual trigger (additionalBuildNeeded on build 1); build 2 runs and succeeds.", rec.events);
    // CNB builds are reproducible: the same source, buildpacks and run image give the same digest.
    assert.equal(latest2, before.latestImage, "build 2 of the same source pushed the same image");
    assert.equal((image?.status as { latestBuildRef?: string }).latestBuildRef, "app-build-2");
    assert.equal((await getManifest(latest2)).status, 200);
  });

  it("reports a failing step as Build Succeeded=False, with the step's log on the pod", async () => {
    // The test buildpack fails its build when the app has a fail-build file (devenv/buildpacks).
    const failing = filesDir(path.join(env.cluster.workDir, "kpack"), "app-source-failing", {
      "index.html": "<h1>pulumi-kpack test app</h1>\n",
      "fail-build": "pulumi-kpack test: buildpack exited on purpose\n",
    });
    const pushed = await buildImage({ layers: [{ dir: failing }], tags: [`${kp.registry.host}/pulumi-kpack/app-source:failing`] });
    const manifest = JSON.parse((await getManifest(pushed.ref)).body ?? "{}") as { layers: Array<{ digest: string }> };
    const failingUrl = `${kp.registry.url}/v2/pulumi-kpack/app-source/blobs/${manifest.layers[0].digest}`;
    const rec = await record(env.kubeConfig, ns, "app");
    await api().patch(
      { apiVersion: KPACK, kind: "Image", metadata: { name: "app", namespace: ns }, spec: { source: { blob: { url: failingUrl } } } },
      undefined,
      undefined,
      undefined,
      undefined,
      k8s.PatchStrategy.MergePatch,
    );
    const build3 = await waitUntil(k, ref("Build", "app-build-3", ns), settled, 180_000, "to finish");
    const succeeded = condition(build3, "Succeeded");
    assert.equal(succeeded?.status, "False");
    const podName = (build3?.status as { podName?: string }).podName ?? "";
    const core = env.kubeConfig.makeApiClient(k8s.CoreV1Api);
    const pod = await core.readNamespacedPod({ name: podName, namespace: ns });
    const failed = pod.status?.initContainerStatuses?.find((c) => (c.state?.terminated?.exitCode ?? 0) !== 0);
    assert.equal(failed?.name, "build");
    const log = await core.readNamespacedPodLog({ name: podName, namespace: ns, container: "build" });
    assert.match(log, /pulumi-kpack test: buildpack exited on purpose/);
    const image = await waitUntil(k, ref("Image", "app", ns), (o) => condition(o, "Ready")?.status === "False", 60_000, "to report the failed build");
    rec.stop();
    saveRecording(
      "image-build-failed.json",
      "Source changed to one whose buildpack fails; build 3 fails in step 'build'; Image Ready=False.",
      rec.events,
    );
    assert.equal(condition(image, "Ready")?.reason, "BuildFailed");
    assert.equal((image?.status as { latestBuildRef?: string }).latestBuildRef, "app-build-3");
  });

  it("reports an Image whose Builder does not exist as not Ready, without a build", async () => {
    const rec = await record(env.kubeConfig, ns, "orphan");
    await api().create({
      apiVersion: KPACK,
      kind: "Image",
      metadata: { name: "orphan", namespace: ns },
      spec: {
        tag: `${kp.registry.host}/${ns}/orphan`,
        serviceAccountName: "kpack-builder",
        builder: { kind: "Builder", name: "no-such-builder" },
        source: { blob: { url: sourceUrl } },
      },
    });
    const image = await waitUntil(
      k,
      ref("Image", "orphan", ns),
      (o) => condition(o, "Ready")?.status === "False",
      60_000,
      "to report the missing builder",
    );
    rec.stop();
    saveRecording("image-builder-not-found.json", "Image names a Builder that does not exist; Ready=False, no build.", rec.events);
    assert.equal(condition(image, "Ready")?.reason, "BuilderNotFound");
    const builds = await api().list(KPACK, "Build", ns, undefined, undefined, undefined, undefined, "image.kpack.io/image=orphan");
    assert.equal(builds.items.length, 0);
  });

  it("fails without registry credentials (build-init verifies write access to the tag), and succeeds once the ServiceAccount has them", async () => {
    const reg = kp.authRegistry.host;
    const creds = kp.authRegistry.auth;
    assert.ok(creds);
    await api().create({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "pusher", namespace: ns } });
    await api().create({
      apiVersion: KPACK,
      kind: "Image",
      metadata: { name: "private", namespace: ns },
      spec: {
        tag: `${reg}/${ns}/private`,
        serviceAccountName: "pusher",
        builder: { kind: "Builder", name: "builder" },
        source: { blob: { url: sourceUrl } },
      },
    });
    const build1 = await waitUntil(k, ref("Build", "private-build-1", ns), settled, 180_000, "to finish");
    assert.equal(condition(build1, "Succeeded")?.status, "False");
    assert.match(condition(build1, "Succeeded")?.message ?? "", /prepare .*write access/i);
    assert.match(condition(build1, "Succeeded")?.message ?? "", /UNAUTHORIZED|401|authentication required/i);

    // kpack's registry secret form: basic-auth with the kpack.io/docker annotation, listed on the ServiceAccount.
    await api().create({
      apiVersion: "v1",
      kind: "Secret",
      type: "kubernetes.io/basic-auth",
      metadata: { name: "registry-creds", namespace: ns, annotations: { "kpack.io/docker": reg } },
      stringData: { username: creds.username, password: creds.password },
    });
    await api().patch(
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "pusher", namespace: ns }, secrets: [{ name: "registry-creds" }] },
      undefined,
      undefined,
      undefined,
      undefined,
      k8s.PatchStrategy.MergePatch,
    );
    await api().patch(
      {
        apiVersion: KPACK,
        kind: "Build",
        metadata: { name: "private-build-1", namespace: ns, annotations: { "image.kpack.io/additionalBuildNeeded": new Date().toISOString() } },
      },
      undefined,
      undefined,
      undefined,
      undefined,
      k8s.PatchStrategy.MergePatch,
    );
    const build2 = await waitUntil(k, ref("Build", "private-build-2", ns), settled, 180_000, "to finish");
    assert.equal(condition(build2, "Succeeded")?.status, "True", JSON.stringify(condition(build2, "Succeeded")));
    const latest = (build2?.status as { latestImage?: string }).latestImage ?? "";
    assert.equal((await getManifest(latest)).status, 401, "the protected registry refuses anonymous reads");
    assert.equal((await getManifest(latest, creds)).status, 200, "and serves the pushed image with credentials");
  });
});
