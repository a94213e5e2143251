import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import * as pulumi from "@pulumi/pulumi";
import { ClusterStack } from "../../sdk";
import { testEnv, TestEnv } from "../../devenv/test-env";
import { kpackConfigDir } from "../../devenv/kpack";
import { applyManifest } from "../../provider/install/apply";
import { parseManifest } from "../../provider/install/manifest";
import { kube } from "../../provider/kube/client";

/**
 * The dynamic-provider machinery end to end: a real `pulumi up` (Automation
 * API, real CLI) creates a ClusterStack through the dispatch shim in the real
 * apiserver, a second `up` changes nothing, `destroy` removes it. No kpack
 * controller runs here (only its CRD), so nothing becomes Ready: skipAwait.
 */
describe("foundation: pulumi up/destroy through the dynamic provider", function () {
  let env: TestEnv;
  let objects: k8s.KubernetesObjectApi;

  before(async () => {
    env = await testEnv();
    objects = k8s.KubernetesObjectApi.makeApiClient(env.kubeConfig);
    // Only kpack's ClusterStack CRD, applied (and waited for) by the provider's own manifest code.
    const file = path.join(kpackConfigDir(), "clusterstack.yaml");
    await applyManifest(kube({ kubeconfig: env.cluster.kubeconfig }), parseManifest(fs.readFileSync(file, "utf8"), file));
  });

  async function readStack(name: string): Promise<(k8s.KubernetesObject & { spec?: Record<string, unknown> }) | undefined> {
    try {
      return await objects.read({ apiVersion: "kpack.io/v1alpha2", kind: "ClusterStack", metadata: { name } });
    } catch (e) {
      if ((e as { code?: number }).code === 404) return undefined;
      throw e;
    }
  }

  it("creates, leaves unchanged, and destroys a ClusterStack with a real pulumi CLI", async () => {
    const runImage = { value: "127.0.0.1:5000/stacks/run:1" };
    const program = async () => {
      const stack = new ClusterStack("base", {
        stackId: "io.buildpacks.stacks.test",
        buildImage: "127.0.0.1:5000/stacks/build:1",
        runImage: pulumi.output(runImage.value),
        skipAwait: true,
        // Only the ClusterStack CRD is here, no kpack: nothing to install from.
        installKpack: false,
      });
      return { name: stack.name, stackId: stack.stackId };
    };
    const stack = await env.pulumi.stack("foundation", "dev", program);
    try {
      const up = await stack.up();
      assert.equal(up.summary.result, "succeeded");
      const name = up.outputs.name.value as string;
      assert.match(name, /^base-[0-9a-f]{7}$/);
      assert.equal(up.outputs.stackId.value, "io.buildpacks.stacks.test");

      const live = await readStack(name);
      assert.ok(live, "the ClusterStack exists in the apiserver");
      assert.deepEqual(live.spec, {
        id: "io.buildpacks.stacks.test",
        buildImage: { image: "127.0.0.1:5000/stacks/build:1" },
        runImage: { image: "127.0.0.1:5000/stacks/run:1" },
      });
      assert.equal(live.metadata?.labels?.["app.kubernetes.io/managed-by"], "pulumi-kpack");
      assert.ok(live.metadata?.managedFields?.some((f) => f.manager === "pulumi-kpack" && f.operation === "Apply"));
      const rv = live.metadata?.resourceVersion;

      // No change: preview shows none, and a second up writes nothing.
      await stack.preview({ expectNoChanges: true });
      const again = await stack.up();
      assert.deepEqual(again.summary.resourceChanges, { same: 2 });
      assert.equal((await readStack(name))?.metadata?.resourceVersion, rv);

      // An in-place update keeps the name.
      runImage.value = "127.0.0.1:5000/stacks/run:2";
      const upd = await stack.up();
      assert.equal(upd.summary.resourceChanges?.update, 1);
      assert.deepEqual((await readStack(name))?.spec?.runImage, { image: "127.0.0.1:5000/stacks/run:2" });

      // The serialized provider in state is the small shim, with no credentials in it.
      const state = await stack.exportStack();
      const res = (state.deployment as { resources: { type: string; outputs?: { __provider?: string } }[] }).resources.find(
        (r) => r.type === "pulumi-nodejs:dynamic/kpack:ClusterStack",
      );
      const providerText = res?.outputs?.__provider ?? "";
      assert.ok(providerText.length > 0 && providerText.length < 4096, `__provider is ${providerText.length} bytes`);

      // Deleted out of band: refresh drops it from the state, and the next up makes it again.
      await objects.delete({ apiVersion: "kpack.io/v1alpha2", kind: "ClusterStack", metadata: { name } });
      await stack.refresh();
      const afterRefresh = await stack.exportStack();
      assert.ok(
        !(afterRefresh.deployment as { resources: { type: string }[] }).resources.some((r) => r.type === "pulumi-nodejs:dynamic/kpack:ClusterStack"),
      );
      const recreated = await stack.up();
      assert.equal(recreated.summary.resourceChanges?.create, 1);
      assert.ok(await readStack(recreated.outputs.name.value as string));

      const destroy = await stack.destroy();
      assert.equal(destroy.summary.result, "succeeded");
      assert.equal(await readStack(recreated.outputs.name.value as string), undefined, "destroy removed the ClusterStack");
    } finally {
      await stack.destroy().catch(() => undefined);
      await stack.workspace.removeStack("dev").catch(() => undefined);
    }
  });

  it("keeps a kubeconfig given as input out of state and output in plaintext", async () => {
    const kubeconfig = env.cluster.kubeconfig;
    const program = async () => {
      const s = new ClusterStack("with-kubeconfig", {
        kubeconfig,
        stackId: "io.buildpacks.stacks.test",
        buildImage: "127.0.0.1:5000/stacks/build:1",
        runImage: "127.0.0.1:5000/stacks/run:1",
        skipAwait: true,
        installKpack: false,
      });
      return { name: s.name };
    };
    // No KUBECONFIG in the CLI's environment: the input alone must reach the cluster.
    const stack = await env.pulumi.stack("foundation-kubeconfig", "dev", program, { KUBECONFIG: "/nonexistent" });
    try {
      let out = "";
      const up = await stack.up({ onOutput: (s) => (out += s) });
      const name = up.outputs.name.value as string;
      assert.ok(await readStack(name));
      const state = env.pulumi.rawState("foundation-kubeconfig", "dev");
      const key = /client-key-data":\s*"([^"]+)"/.exec(kubeconfig)![1].slice(0, 40);
      assert.ok(state.includes('"kubeconfig"'), "the kubeconfig input is in the checkpoint (encrypted)");
      assert.ok(!state.includes(key) && !state.includes("client-key-data"), "kubeconfig in plaintext in the checkpoint");
      assert.ok(!out.includes(key), "kubeconfig in plaintext in the CLI output");
      await stack.destroy();
      assert.equal(await readStack(name), undefined);
    } finally {
      await stack.destroy().catch(() => undefined);
    }
  });

  it("reaches the cluster through stack config kpack:kubeconfig (a secret), never stored in state", async () => {
    const program = async () => {
      const s = new ClusterStack("from-config", {
        stackId: "io.buildpacks.stacks.test",
        buildImage: "127.0.0.1:5000/stacks/build:1",
        runImage: "127.0.0.1:5000/stacks/run:1",
        skipAwait: true,
        installKpack: false,
      });
      return { name: s.name };
    };
    const stack = await env.pulumi.stack("foundation-config", "dev", program, { KUBECONFIG: "/nonexistent" });
    await stack.setConfig("kpack:kubeconfig", { value: env.cluster.kubeconfig, secret: true });
    try {
      const up = await stack.up();
      const name = up.outputs.name.value as string;
      assert.ok(await readStack(name), "created through the stack config's cluster");
      const key = /client-key-data":\s*"([^"]+)"/.exec(env.cluster.kubeconfig)![1].slice(0, 40);
      assert.ok(!env.pulumi.rawState("foundation-config", "dev").includes(key));
      await stack.destroy();
      assert.equal(await readStack(name), undefined);
    } finally {
      await stack.destroy().catch(() => undefined);
    }
  });
});
