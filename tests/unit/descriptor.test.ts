import * as assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import { resolveDescriptor } from "../../schema/descriptor";

const R = "127.0.0.1:5000/deps";

/** kpack-cli's own sample (pkg/import/testdata/sample-deps.yaml), with loopback images. */
const V1 = `
apiVersion: kp.kpack.io/v1
kind: DependencyDescriptor
defaultClusterBuilder: some-cb
defaultClusterStack: some-stack
defaultClusterLifecycle: some-lifecycle
clusterLifecycles:
  - name: some-lifecycle
    image: ${R}/lifecycle-image
clusterBuildpacks:
  - name: some-buildpack
    image: ${R}/buildpack-image
clusterStores:
- name: some-store
  sources:
  - image: ${R}/store-image
clusterStacks:
- name: some-stack
  buildImage:
    image: ${R}/build-image
  runImage:
    image: ${R}/run-image
clusterBuilders:
- name: some-cb
  clusterStack: some-stack
  clusterStore: some-store
  order:
  - group:
    - id: buildpack
`;

describe("kp import descriptors", () => {
  it("v1: every entry, and kp's defaults as the copies kp makes (default); the default lifecycle by its name", () => {
    const { descriptor: d, problems } = resolveDescriptor(k8s.loadYaml(V1));
    assert.deepEqual(problems, []);
    assert.deepEqual(
      d!.clusterStacks.map((s) => s.name),
      ["some-stack", "default"],
    );
    assert.deepEqual(d!.clusterStacks[1].runImage, { image: `${R}/run-image` });
    assert.equal(d!.clusterStacks[1].copyOf, "some-stack", "the default copy knows its stack, for its stack id");
    assert.deepEqual(
      d!.clusterBuilders.map((b) => b.name),
      ["some-cb", "default"],
    );
    assert.deepEqual(d!.clusterBuilders[1].order, [{ group: [{ id: "buildpack" }] }]);
    assert.deepEqual(d!.clusterLifecycles, [{ name: "some-lifecycle", image: `${R}/lifecycle-image` }]);
    assert.equal(d!.defaultClusterLifecycle, "some-lifecycle");
    assert.deepEqual(
      d!.clusterBuildpacks.map((b) => b.name),
      ["some-buildpack"],
    );
  });

  it("v1alpha3: the single lifecycle is the builders' lifecycle", () => {
    const doc = {
      apiVersion: "kp.kpack.io/v1alpha3",
      kind: "DependencyDescriptor",
      lifecycle: { image: `${R}/lifecycle:1` },
      clusterStores: [{ name: "s", sources: [{ image: `${R}/bp:1` }] }],
      clusterStacks: [{ name: "base", buildImage: { image: `${R}/b:1` }, runImage: { image: `${R}/r:1` } }],
      clusterBuilders: [{ name: "cb", clusterStack: "base", clusterStore: "s", order: [{ group: [{ id: "x" }] }] }],
    };
    const { descriptor: d, problems } = resolveDescriptor(doc);
    assert.deepEqual(problems, []);
    assert.deepEqual(d!.clusterLifecycles, [{ name: "lifecycle", image: `${R}/lifecycle:1` }]);
    assert.equal(d!.defaultClusterLifecycle, "lifecycle");
    assert.deepEqual(
      d!.clusterStacks.map((s) => s.name),
      ["base"],
      "no default stack without defaultClusterStack",
    );
  });

  it("v1alpha1: stores, stacks and builders by their old names", () => {
    const doc = {
      apiVersion: "kp.kpack.io/v1alpha1",
      kind: "DependencyDescriptor",
      defaultStack: "base",
      defaultClusterBuilder: "cb",
      stores: [{ name: "s", sources: [{ image: `${R}/bp:1` }] }],
      stacks: [{ name: "base", buildImage: { image: `${R}/b:1` }, runImage: { image: `${R}/r:1` } }],
      clusterBuilders: [{ name: "cb", stack: "base", store: "s", order: [{ group: [{ id: "x" }] }] }],
    };
    const { descriptor: d, problems } = resolveDescriptor(doc);
    assert.deepEqual(problems, []);
    assert.deepEqual(
      d!.clusterBuilders.map((b) => [b.name, b.clusterStack, b.clusterStore]),
      [
        ["cb", "base", "s"],
        ["default", "base", "s"],
      ],
    );
    assert.deepEqual(
      d!.clusterStacks.map((s) => s.name),
      ["base", "default"],
    );
  });

  it("names the entry of each problem", () => {
    const doc = k8s.loadYaml<Record<string, unknown>>(V1);
    (doc.clusterBuilders as Array<Record<string, unknown>>)[0].clusterStack = "jammy";
    (doc.clusterStacks as Array<Record<string, unknown>>)[0].runImage = { image: "Not An Image" };
    doc.defaultClusterBuilder = "nope";
    const { problems } = resolveDescriptor(doc);
    assert.deepEqual(problems, [
      "clusterStacks[0] (some-stack).runImage.image: must be an image reference such as registry.example.com/team/app:tag",
    ]);
    (doc.clusterStacks as Array<Record<string, unknown>>)[0].runImage = { image: `${R}/run` };
    assert.deepEqual(resolveDescriptor(doc).problems, [
      `clusterBuilders[0] (some-cb): clusterStack: "jammy" is not one of the descriptor's clusterStacks (some-stack, default)`,
      `defaultClusterBuilder: "nope" is not one of the descriptor's clusterBuilders (some-cb)`,
    ]);
  });

  it("refuses another apiVersion, unknown fields and duplicates", () => {
    assert.match(
      resolveDescriptor({ apiVersion: "kp.kpack.io/v2", kind: "DependencyDescriptor" }).problems[0],
      /^apiVersion: must be one of kp\.kpack\.io\/v1, kp\.kpack\.io\/v1alpha3, kp\.kpack\.io\/v1alpha1/,
    );
    assert.match(resolveDescriptor({ apiVersion: "kp.kpack.io/v1", kind: "DependencyDescriptor", clusterStaks: [] }).problems[0], /clusterStaks/);
    const dup = {
      apiVersion: "kp.kpack.io/v1",
      kind: "DependencyDescriptor",
      clusterStores: [
        { name: "s", sources: [{ image: `${R}/a:1` }] },
        { name: "s", sources: [{ image: `${R}/b:1` }] },
      ],
    };
    assert.deepEqual(resolveDescriptor(dup).problems, ["clusterStores[1] (s): name: s appears twice in clusterStores"]);
  });
});
