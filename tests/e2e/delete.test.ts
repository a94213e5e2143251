import * as assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import * as kpack from "../../sdk";
import { testEnv, TestEnv } from "../../devenv/test-env";
import { localBuilder } from "./fixtures/builder";
import type { KpackEnv } from "../../devenv/kpack-env";
import { sourceBlob } from "../../devenv/examples";
import { getManifest } from "../../devenv/registry";
import { kube } from "../../provider/kube/client";
import { clusterIO } from "../../provider/kube/objects";
import { Deadline } from "../../provider/wait-policy";

type Obj = k8s.KubernetesObject & { status?: Record<string, unknown> };
const KPACK = "kpack.io/v1alpha2";

/**
 * Delete semantics (README "Delete"): the object is deleted with background
 * propagation and the delete waits until the object itself is gone, as
 * `kubectl delete --wait` does; kube-controller-manager's garbage collector
 * removes its Builds afterwards. Where dependents matter, a replacement that
 * keeps the Image's name, the new Image waits for the old Image's Builds,
 * whose names its own Builds take.
 */
describe("delete: background propagation, waiting for dependents only where they matter", function () {
  let env: TestEnv;
  let kp: KpackEnv;
  let ns: string;
  let sourceUrl: string;
  let objects: k8s.KubernetesObjectApi;

  before(async () => {
    env = await testEnv();
    kp = await env.kpack();
    objects = k8s.KubernetesObjectApi.makeApiClient(env.kubeConfig);
    ns = await env.namespace("e2e-delete");
    sourceUrl = await sourceBlob(env.cluster, kp, "delete", { "index.html": "<h1>delete</h1>\n" });
  });

  const builds = (image: string) =>
    objects.list<Obj>(KPACK, "Build", ns, undefined, undefined, undefined, undefined, `image.kpack.io/image=${image}`);

  it("a new tag replaces the Image under the same name and builds #1 again; destroy leaves its Builds to the garbage collector", async () => {
    const reg = kp.registry.host;
    const settings = { tag: `${reg}/${ns}/app-a` };
    const program = async () => {
      const { builder } = localBuilder(kp, ns);
      const app = new kpack.Image("app", { name: "app", namespace: ns, tag: settings.tag, builder, source: { blob: { url: sourceUrl } } });
      return { latestImage: app.latestImage, buildCounter: app.buildCounter };
    };
    const stack = await env.pulumi.stack("delete", "dev", program);
    try {
      const first = await stack.up();
      assert.equal(first.outputs.buildCounter.value, 1);
      const oldUid = (await objects.read<Obj>({ apiVersion: KPACK, kind: "Image", metadata: { name: "app", namespace: ns } })).metadata?.uid;

      settings.tag = `${reg}/${ns}/app-b`;
      const second = await stack.up();
      assert.equal(second.summary.resourceChanges?.replace, 1);
      assert.equal(second.outputs.buildCounter.value, 1, "the new Image's first build");
      const served = await getManifest(`${reg}/${ns}/app-b:latest`);
      assert.equal(second.outputs.latestImage.value, `${reg}/${ns}/app-b@${served.digest}`);
      const image = await objects.read<Obj>({ apiVersion: KPACK, kind: "Image", metadata: { name: "app", namespace: ns } });
      assert.notEqual(image.metadata?.uid, oldUid, "a new Image");
      const now = await builds("app");
      assert.deepEqual(
        now.items.map((b) => b.metadata?.ownerReferences?.[0]?.uid),
        [image.metadata?.uid],
        "only the new Image's Build is left",
      );

      await stack.destroy();
      const left = await objects.read<Obj>({ apiVersion: KPACK, kind: "Image", metadata: { name: "app", namespace: ns } }).then(
        () => true,
        () => false,
      );
      assert.equal(left, false, "destroy returns once the Image itself is gone");
      // Its Build goes after it, removed by the garbage collector.
      const io = clusterIO(kube({ kubeconfig: env.cluster.kubeconfig }));
      await io.waitForList(
        { apiVersion: KPACK, kind: "Build", namespace: ns, labelSelector: "image.kpack.io/image=app" },
        (items) => items.length === 0,
        new Deadline(120_000),
        "for the garbage collector",
      );
      assert.equal((await builds("app")).items.length, 0);
    } finally {
      await stack.destroy().catch(() => undefined);
    }
  });
});
