import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { testEnv, TestEnv } from "../../devenv/test-env";
import type { KpackEnv } from "../../devenv/kpack-env";
import { exampleConfig, exampleStack } from "../../devenv/examples";
import { getManifest } from "../../devenv/registry";

const KPACK = "kpack.io/v1alpha2";

/**
 * Issue 18 item 5: examples/descriptor declares a `kp import` descriptor's
 * objects and builds an Image with its default ClusterBuilder; a descriptor
 * with a wrong entry fails at preview, naming it, and creates nothing.
 */
describe("kp import descriptor (examples/descriptor)", function () {
  let env: TestEnv;
  let kp: KpackEnv;
  let ns: string;

  before(async () => {
    env = await testEnv();
    kp = await env.kpack();
    ns = await env.namespace("e2e-descriptor");
  });

  it("declares the descriptor's stores, stacks, lifecycle and builders, with kp's defaults, and an Image builds with its default ClusterBuilder", async () => {
    // exampleStack points the example at <registry>/<example>-<stack>.
    const registry = `${kp.registry.host}/descriptor-e2e`;
    const config = await exampleConfig(env.cluster, kp, registry, "descriptor");
    const descriptor = (clusterStack: string) => `apiVersion: kp.kpack.io/v1
kind: DependencyDescriptor
defaultClusterStack: desc-stack
defaultClusterBuilder: desc-builder
defaultClusterLifecycle: desc-lifecycle
clusterLifecycles:
- name: desc-lifecycle
  image: ${kp.images.lifecycleImage}
clusterStores:
- name: desc-store
  sources:
  - image: ${config.buildpackage}
clusterStacks:
- name: desc-stack
  buildImage:
    image: ${config.buildImage}
  runImage:
    image: ${config.runImage}
clusterBuilders:
- name: desc-builder
  clusterStack: ${clusterStack}
  clusterStore: desc-store
  order:
  - group:
    - id: ${config.buildpackId}
`;
    const file = path.join(env.cluster.workDir, "descriptor.yaml");
    const objects = k8s.KubernetesObjectApi.makeApiClient(env.kubeConfig);
    const names = async (kind: string) => (await objects.list<k8s.KubernetesObject>(KPACK, kind)).items.map((o) => o.metadata!.name!).sort();
    const before = { stacks: await names("ClusterStack"), builders: await names("ClusterBuilder") };

    fs.writeFileSync(file, descriptor("jammy"));
    const stack = await exampleStack(env.cluster, kp, env.pulumi, "descriptor", "e2e", {
      namespace: ns,
      descriptorFile: file,
      stackId: config.stackId,
    });
    try {
      // A builder naming a stack the descriptor lacks: preview fails, naming the entry; nothing is created.
      let message = "";
      await stack.preview().catch((e: Error) => (message = e.message));
      assert.match(
        message,
        /Descriptor deps: the descriptor is not one kp import takes:\s+clusterBuilders\[0\] \(desc-builder\): clusterStack: "jammy" is not one of the descriptor's clusterStacks \(desc-stack, default\)/,
      );
      assert.deepEqual({ stacks: await names("ClusterStack"), builders: await names("ClusterBuilder") }, before);

      fs.writeFileSync(file, descriptor("desc-stack"));
      const up = await stack.up();
      assert.deepEqual(up.outputs.builders.value, ["desc-builder", "default"]);
      const tag = `${registry}/app`;
      assert.equal(up.outputs.image.value, `${tag}@${(await getManifest(`${tag}:latest`)).digest}`);
      for (const n of ["desc-stack", "default"]) assert.ok((await names("ClusterStack")).includes(n), `ClusterStack ${n}`);
      const cb = await objects.read<k8s.KubernetesObject & { spec: { tag: string; lifecycle: { name: string }; stack: { name: string } } }>({
        apiVersion: KPACK,
        kind: "ClusterBuilder",
        metadata: { name: "default" },
      });
      assert.equal(cb.spec.tag, `${registry}/builders:clusterbuilder-default`, "tagged as kp tags it");
      assert.equal(cb.spec.lifecycle.name, "desc-lifecycle", "the descriptor's default lifecycle");
      assert.equal(cb.spec.stack.name, "desc-stack");
      await stack.preview({ expectNoChanges: true });
    } finally {
      await stack.destroy().catch(() => undefined);
    }
    assert.deepEqual(
      { stacks: await names("ClusterStack"), builders: await names("ClusterBuilder") },
      before,
      "destroy removed what the descriptor declared",
    );
  });
});
