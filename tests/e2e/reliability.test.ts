import * as assert from "node:assert/strict";
import * as http from "node:http";
import { spawn, execFileSync } from "node:child_process";
import * as k8s from "@kubernetes/client-node";
import * as kpack from "../../sdk";
import { testEnv, TestEnv } from "../../devenv/test-env";
import type { KpackEnv } from "../../devenv/kpack-env";
import { exampleStack, sourceBlob } from "../../devenv/examples";
import { getManifest } from "../../devenv/registry";

/**
 * Issue 10, item 5: faults a user meets. An apiserver restart while `pulumi up`
 * waits on a build; the CLI SIGKILLed mid-create; a field another manager set;
 * and, against the real controller, the builder switch and the build lines
 * preview prints.
 */
/** Live processes of the session `sid` (ps -s; zombies are dead already). */
function sessionPids(sid: number): number[] {
  let out = "";
  try {
    out = execFileSync("ps", ["-o", "pid=,stat=", "-s", String(sid)], { encoding: "utf8" });
  } catch {
    // ps exits 1 when it finds none
  }
  return out
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter(([pid, stat]) => pid && !stat?.startsWith("Z"))
    .map(([pid]) => Number(pid));
}

/** SIGKILLs every process of a session until none is left. */
async function killSession(sid: number): Promise<void> {
  for (let pids = sessionPids(sid); pids.length > 0; pids = sessionPids(sid)) {
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone already
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("reliability", function () {
  let env: TestEnv;
  let kp: KpackEnv;
  let custom: k8s.CustomObjectsApi;

  before(async () => {
    env = await testEnv();
    kp = await env.kpack();
    custom = env.kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  });

  const names = async (plural: string, namespace?: string): Promise<string[]> => {
    const list = (
      namespace
        ? await custom.listNamespacedCustomObject({ group: "kpack.io", version: "v1alpha2", namespace, plural })
        : await custom.listClusterCustomObject({ group: "kpack.io", version: "v1alpha2", plural })
    ) as { items: k8s.KubernetesObject[] };
    return list.items.map((o) => o.metadata!.name!);
  };

  /**
   * A source blob whose download the test holds: `requested` settles when a
   * build asks for it, and the answer goes out only after `release()`.
   */
  async function heldBlob(realUrl: string) {
    const body = Buffer.from(await (await fetch(realUrl)).arrayBuffer());
    let onRequest!: () => void;
    const requested = new Promise<void>((resolve) => (onRequest = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const server = http.createServer((req, res) => {
      onRequest();
      void released.then(() => res.writeHead(200, { "content-type": "application/octet-stream" }).end(body));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as { port: number }).port}/app.tar.gz`,
      requested,
      release,
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  }

  it("a pulumi up waiting on a build survives a kube-apiserver restart and completes", async () => {
    const ns = await env.namespace("e2e-restart");
    const img = kp.images;
    const reg = kp.registry.host;
    const blob = await heldBlob(await sourceBlob(env.cluster, kp, `restart-${ns}`, { "index.html": "<h1>restart</h1>\n" }));
    const stack = await env.pulumi.stack("restart", "dev", async () => {
      const s = new kpack.ClusterStack("stack", { stackId: img.stackId, buildImage: img.buildImage, runImage: img.runImage });
      const store = new kpack.ClusterStore("store", { sources: [{ image: img.buildpacks[0].image }] });
      const builder = new kpack.Builder("builder", {
        namespace: ns,
        tag: `${reg}/${ns}/builder`,
        stack: s,
        store,
        order: [{ group: [{ id: img.buildpacks[0].id }] }],
      });
      const app = new kpack.Image("app", { namespace: ns, tag: `${reg}/${ns}/app`, builder, source: { blob: { url: blob.url } } });
      return { latestImage: app.latestImage, buildCounter: app.buildCounter };
    });
    try {
      const up = stack.up();
      // The build is fetching its source: the wait is on. Restart the apiserver under it.
      await Promise.race([blob.requested, up.then(() => assert.fail("up ended before the build fetched its source"))]);
      await env.cluster.restartApiserver();
      blob.release();
      const result = await up;
      assert.equal(result.outputs.buildCounter.value, 1);
      const served = await getManifest(`${reg}/${ns}/app:latest`);
      assert.equal(result.outputs.latestImage.value, `${reg}/${ns}/app@${served.digest}`);
      await stack.preview({ expectNoChanges: true });
    } finally {
      blob.release();
      await stack.destroy().catch(() => undefined);
      await blob.close();
    }
  });

  it("pulumi up SIGKILLed mid-create: the next up converges with exactly one object per resource", async () => {
    const ns = await env.namespace("e2e-sigkill");
    const stack = await exampleStack(env.cluster, kp, env.pulumi, "quickstart", "sigkill", { namespace: ns });
    const before = { stacks: await names("clusterstacks"), stores: await names("clusterstores") };
    const created = async () => ({
      stacks: (await names("clusterstacks")).filter((n) => !before.stacks.includes(n)),
      stores: (await names("clusterstores")).filter((n) => !before.stores.includes(n)),
    });
    // With the controller stopped, the ClusterStack and ClusterStore creates wait for it: kill the CLI there.
    await kp.stopController();
    let cli: ReturnType<typeof spawn> | undefined;
    try {
      cli = spawn(env.pulumi.bin, ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", "sigkill"], {
        cwd: stack.workspace.workDir,
        env: { ...process.env, ...env.pulumi.envVars },
        detached: true, // its own process group: the CLI, its language host and the provider process go together
        stdio: "ignore",
      });
      const exited = new Promise<void>((resolve) => cli!.once("exit", () => resolve()));
      for (let i = 0; ; i++) {
        const c = await created();
        if (c.stacks.length > 0 && c.stores.length > 0) break;
        if (cli.exitCode !== null) assert.fail(`pulumi up exited (${cli.exitCode}) before creating the objects`);
        if (i > 600) assert.fail("the ClusterStack and ClusterStore never appeared");
        await new Promise((r) => setTimeout(r, 200));
      }
      // As when the machine running it is lost: the CLI and every plugin it started die at once.
      // (The plugins run in process groups of their own, so the session is what holds them all.)
      await killSession(cli.pid!);
      await exited;
    } finally {
      if (cli?.pid) await killSession(cli.pid);
      await kp.startController();
    }
    assert.deepEqual(sessionPids(cli.pid!), [], "no process of the killed up is left");
    const pending = JSON.stringify((await stack.exportStack()).deployment);
    assert.match(pending, /"pending_operations":\[\{/, "the killed up left a pending create");

    try {
      // The killed CLI still holds the stack's lock: what the CLI's own message says to do.
      let locked = "";
      await stack.up().catch((e: Error) => (locked = e.message));
      assert.match(locked, /the stack is currently locked .* `pulumi cancel`/s);
      await stack.cancel();
      // Pulumi's repair for an interrupted create; the up then creates under the same names, adopting what the killed up made.
      await stack.refresh({ clearPendingCreates: true });
      const up = await stack.up();
      assert.match(up.outputs.image.value as string, /@sha256:[0-9a-f]{64}$/);
      const c = await created();
      assert.equal(c.stacks.length, 1, `one ClusterStack for the resource, found ${c.stacks.join(", ")}`);
      assert.equal(c.stores.length, 1, `one ClusterStore for the resource, found ${c.stores.join(", ")}`);
      assert.equal((await names("builders", ns)).length, 1);
      assert.equal((await names("images", ns)).length, 1);
      const state = (await stack.exportStack()).deployment as {
        pending_operations?: unknown[];
        resources: Array<{ type: string; outputs?: { name?: string } }>;
      };
      assert.equal(state.pending_operations?.length ?? 0, 0, "the pending create is gone from the state");
      const stateName = (t: string) => state.resources.find((r) => r.type === `pulumi-nodejs:dynamic/kpack:${t}`)?.outputs?.name;
      assert.deepEqual([stateName("ClusterStack"), stateName("ClusterStore")], [c.stacks[0], c.stores[0]]);
      await stack.preview({ expectNoChanges: true });
    } finally {
      await stack.destroy().catch(() => undefined);
    }
  });

  it("a field another manager set fails the update naming the manager; forceConflicts takes it over", async () => {
    const img = kp.images;
    const settings = { buildImage: img.buildImage, force: false };
    const stack = await env.pulumi.stack("conflict", "dev", async () => {
      const s = new kpack.ClusterStack("stack", {
        stackId: img.stackId,
        buildImage: settings.buildImage,
        runImage: img.runImage,
        forceConflicts: settings.force,
      });
      return { name: s.name };
    });
    try {
      const name = (await stack.up()).outputs.name.value as string;
      // kubectl edit: an Update by field manager "kubectl-edit", to the same run image by digest.
      const byDigest = img.pushed.run.ref;
      await custom.patchClusterCustomObject(
        {
          group: "kpack.io",
          version: "v1alpha2",
          plural: "clusterstacks",
          name,
          body: { spec: { runImage: { image: byDigest } } },
          fieldManager: "kubectl-edit",
        },
        k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
      );
      settings.buildImage = img.pushed.build.ref; // another change, so up applies the object
      let message = "";
      await stack.up().catch((e: Error) => (message = e.message));
      assert.match(
        message,
        new RegExp(`ClusterStack ${name}: applying it failed: field \\.spec\\.runImage\\.image is also managed by "kubectl-edit"`),
      );
      assert.match(message, /set forceConflicts: true on this resource/);
      const live = (await custom.getClusterCustomObject({ group: "kpack.io", version: "v1alpha2", plural: "clusterstacks", name })) as {
        spec: { runImage: { image: string }; buildImage: { image: string } };
      };
      assert.equal(live.spec.runImage.image, byDigest, "the refused apply wrote nothing");
      assert.equal(live.spec.buildImage.image, img.buildImage);

      settings.force = true;
      await stack.up();
      const taken = (await custom.getClusterCustomObject({ group: "kpack.io", version: "v1alpha2", plural: "clusterstacks", name })) as {
        spec: { runImage: { image: string }; buildImage: { image: string } };
      };
      assert.deepEqual([taken.spec.runImage.image, taken.spec.buildImage.image], [img.runImage, img.pushed.build.ref]);
    } finally {
      await stack.destroy().catch(() => undefined);
    }
  });

  it("switching an Image's builder builds, and preview says which changes build", async () => {
    const ns = await env.namespace("e2e-switch");
    const img = kp.images;
    const reg = kp.registry.host;
    const sourceUrl = await sourceBlob(env.cluster, kp, `switch-${ns}`, { "index.html": "<h1>switch</h1>\n" });
    const settings = { namespaced: false, additionalTags: [] as string[] };
    const stack = await env.pulumi.stack("switch", "dev", async () => {
      const s = new kpack.ClusterStack("stack", { stackId: img.stackId, buildImage: img.buildImage, runImage: img.runImage });
      const store = new kpack.ClusterStore("store", { sources: [{ image: img.buildpacks[0].image }] });
      const order = [{ group: [{ id: img.buildpacks[0].id }] }];
      const clusterBuilder = new kpack.ClusterBuilder("cluster-builder", {
        tag: `${reg}/${ns}/cluster-builder`,
        stack: s,
        store,
        order,
        serviceAccountRef: { name: "default", namespace: ns },
      });
      const builder = new kpack.Builder("builder", { namespace: ns, tag: `${reg}/${ns}/builder`, stack: s, store, order });
      const app = new kpack.Image("app", {
        namespace: ns,
        tag: `${reg}/${ns}/app`,
        builder: settings.namespaced ? builder : clusterBuilder,
        source: { blob: { url: sourceUrl } },
        additionalTags: settings.additionalTags,
      });
      return { buildCounter: app.buildCounter, latestBuildRef: app.latestBuildRef };
    });
    const output = async (run: (onOutput: (s: string) => void) => Promise<unknown>) => {
      const out: string[] = [];
      await run((s) => out.push(s));
      return out.join("");
    };
    try {
      assert.equal((await stack.up()).outputs.buildCounter.value, 1);

      settings.namespaced = true;
      const preview = await output((onOutput) => stack.preview({ onOutput }));
      assert.match(preview, /will build #2: builder changed/, preview);
      const switched = await stack.up();
      assert.equal(switched.outputs.buildCounter.value, 2, "the builder switch built");
      assert.match(switched.outputs.latestBuildRef.value as string, /-build-2$/);

      settings.additionalTags = [`${reg}/${ns}/app:stable`];
      const tagsPreview = await output((onOutput) => stack.preview({ onOutput }));
      assert.match(tagsPreview, /no build: additionalTags take effect at the next build \(change triggerBuild to build now\)/, tagsPreview);
      assert.equal((await stack.up()).outputs.buildCounter.value, 2, "additionalTags alone start no build");
    } finally {
      await stack.destroy().catch(() => undefined);
    }
  });
});
