import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import * as k8s from "@kubernetes/client-node";
import { testEnv, TestEnv } from "../../devenv/test-env";
import type { KpackEnv } from "../../devenv/kpack-env";
import { exampleConfig, exampleStack, sourceBlob } from "../../devenv/examples";
import { binaries, ensureBinary } from "../../devenv/binaries";
import { getManifest } from "../../devenv/registry";

type Obj = k8s.KubernetesObject & { status?: { buildCounter?: number; latestImage?: string } };
const KPACK = "kpack.io/v1alpha2";

/**
 * Issue 18 item 4: objects a user made with `kubectl apply` of kpack's
 * tutorial YAML, then declared in a program (examples/adopt) under their
 * names. Without adopt the create fails and writes nothing; with it the
 * program takes them over without a build, keeping the history, and owns
 * them from then on.
 */
describe("taking over objects made by kubectl (examples/adopt)", function () {
  let env: TestEnv;
  let kp: KpackEnv;
  let ns: string;
  let objects: k8s.KubernetesObjectApi;

  before(async () => {
    env = await testEnv();
    kp = await env.kpack();
    ns = await env.namespace("e2e-adopt");
    objects = k8s.KubernetesObjectApi.makeApiClient(env.kubeConfig);
  });

  const read = (kind: string, name: string, namespace?: string) =>
    objects
      .read<Obj>({ apiVersion: KPACK, kind, metadata: { name, namespace } })
      .catch((e: Error & { code?: number }) => (e.code === 404 ? undefined : Promise.reject(e)));

  it("refuses to take over without adopt, writing nothing; with adopt takes the ClusterStack, ClusterStore, Builder and Image over without a build; then builds and destroys them as its own", async () => {
    const registry = `${kp.registry.host}/adopt`;
    const config = await exampleConfig(env.cluster, kp, registry, "adopt");
    const appTag = `${registry}/app`;
    // kpack's tutorial (docs/tutorial.md), with this environment's images.
    const seed = `
apiVersion: kpack.io/v1alpha2
kind: ClusterStore
metadata:
  name: default
spec:
  sources:
  - image: ${config.buildpackage}
---
apiVersion: kpack.io/v1alpha2
kind: ClusterStack
metadata:
  name: base
spec:
  id: "${config.stackId}"
  buildImage:
    image: "${config.buildImage}"
  runImage:
    image: "${config.runImage}"
---
apiVersion: kpack.io/v1alpha2
kind: Builder
metadata:
  name: my-builder
  namespace: ${ns}
spec:
  serviceAccountName: default
  tag: ${registry}/builder
  stack:
    name: base
    kind: ClusterStack
  store:
    name: default
    kind: ClusterStore
  order:
  - group:
    - id: ${config.buildpackId}
---
apiVersion: kpack.io/v1alpha2
kind: Image
metadata:
  name: tutorial-image
  namespace: ${ns}
spec:
  tag: ${appTag}
  serviceAccountName: default
  builder:
    name: my-builder
    kind: Builder
  source:
    blob:
      url: ${config.sourceUrl}
`;
    const file = path.join(env.cluster.workDir, "adopt-seed.yaml");
    fs.writeFileSync(file, seed);
    // Not execFileSync: the webhook's loopback relay runs in this process's event loop.
    const kubectl = async (...args: string[]) =>
      (await promisify(execFile)(ensureBinary(binaries.kubectl), [`--kubeconfig=${env.cluster.kubeconfigPath}`, ...args], { encoding: "utf8" }))
        .stdout;
    await kubectl("apply", "-f", file);
    await kubectl("wait", "--for=condition=Ready", "--timeout=300s", "-n", ns, "image/tutorial-image");
    const made = await read("Image", "tutorial-image", ns);
    assert.equal(made?.status?.buildCounter, 1);
    const refs: Array<[string, string, string?]> = [
      ["ClusterStore", "default"],
      ["ClusterStack", "base"],
      ["Builder", "my-builder", ns],
      ["Image", "tutorial-image", ns],
    ];
    const versions = async () => Promise.all(refs.map(async ([k, n, s]) => (await read(k, n, s))?.metadata?.resourceVersion));
    const before = await versions();

    const stack = await exampleStack(env.cluster, kp, env.pulumi, "adopt", "e2e", { namespace: ns, registry, appTag, sourceUrl: config.sourceUrl });
    try {
      // Without adopt: the first creates (stack and store; the builder and Image wait on them) fail, naming
      // the object, who made it and the way in; nothing is written.
      let message = "";
      await stack.up().catch((e: Error) => (message = e.message));
      assert.match(
        message,
        /ClusterStore default[\s\S]*already exists, and this resource did not make it \(made by field manager "kubectl-client-side-apply"/,
      );
      assert.match(message, /ClusterStack base.*already exists, and this resource did not make it/);
      assert.match(message, /set adopt: true on this resource/);
      assert.deepEqual(await versions(), before, "a refused take-over writes nothing");

      // With adopt: taken over as they stand; no build, the history kept.
      await stack.setConfig("adopt", { value: "true" });
      let out = "";
      const up = await stack.up({ onOutput: (s) => (out += s) });
      assert.match(out, /taking over Image .*tutorial-image \(made by field manager "kubectl-client-side-apply"\)/);
      assert.equal(up.outputs.buildCounter.value, 1, "no build: the spec matches");
      assert.equal(up.outputs.image.value, made?.status?.latestImage);
      const builds = await objects.list(KPACK, "Build", ns, undefined, undefined, undefined, undefined, "image.kpack.io/image=tutorial-image");
      assert.equal(builds.items.length, 1, "kpack started no build");
      assert.equal((up.outputs.provenance.value as { build: string }).build, "tutorial-image-build-1");
      await stack.preview({ expectNoChanges: true });
      const owners = (await read("Image", "tutorial-image", ns))?.metadata?.managedFields?.filter((f) => !f.subresource).map((f) => f.manager);
      assert.deepEqual(owners, ["pulumi-kpack"], "the program's field manager alone owns the Image's spec now");

      // Now the program's: a source change builds #2 (no field conflict with kubectl's manager).
      const newSource = await sourceBlob(env.cluster, kp, "adopt-2", { "index.html": "<h1>adopted, rebuilt</h1>\n" });
      await stack.setConfig("sourceUrl", { value: newSource });
      const rebuilt = await stack.up();
      assert.equal(rebuilt.outputs.buildCounter.value, 2, "the build history continues");
      assert.equal(rebuilt.outputs.image.value, `${appTag}@${(await getManifest(`${appTag}:latest`)).digest}`);

      await stack.destroy();
      for (const [k, n, s] of refs) assert.equal(await read(k, n, s), undefined, `${k} ${n} deleted by destroy`);
    } finally {
      await stack.destroy().catch(() => undefined);
      await kubectl("delete", "--ignore-not-found", "--wait", "-f", file);
    }
  });
});
