import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { Builder } from "../../sdk/builder";
import { Buildpack } from "../../sdk/buildpack";
import { ClusterBuilder } from "../../sdk/cluster-builder";
import { ClusterBuildpack } from "../../sdk/cluster-buildpack";
import { ClusterLifecycle } from "../../sdk/cluster-lifecycle";
import { ClusterStack } from "../../sdk/cluster-stack";
import { ClusterStore } from "../../sdk/cluster-store";
import { Image } from "../../sdk/image";
import { isKpackObject, refName } from "../../sdk/refs";

/**
 * Resources passed where kpack takes a name: the SDK turns them into names
 * (and kinds) before the inputs reach the provider. Runs the SDK classes under
 * Pulumi's mocks, which record the inputs each resource registers with.
 */

type Recorded = { type: string; inputs: Record<string, unknown> };
const registered = new Map<string, Recorded>();
const NAMESPACED = /:(Builder|Buildpack|Image)$/;

/** Output internals the tests read (OutputImpl in @pulumi/pulumi/output.js). */
type Internal<T> = { promise(): Promise<T>; allResources(): Promise<Set<pulumi.Resource>> };

function value<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply((v) => resolve(v)));
}

/** The inputs a resource registered with (once Pulumi has resolved them). */
async function inputsOf(r: pulumi.CustomResource, logicalName: string): Promise<Record<string, unknown>> {
  await value(r.id);
  const rec = registered.get(logicalName);
  assert.ok(rec, `no registration of ${logicalName}`);
  return rec.inputs;
}

describe("references by resource (sdk/refs.ts)", () => {
  before(async () => {
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          const inputs = args.inputs as Record<string, unknown>;
          registered.set(args.name, { type: args.type, inputs });
          // What the provider's check/create answer with: a generated name, and the namespace written.
          const state: Record<string, unknown> = { ...inputs, name: inputs.name ?? `${args.name}-abc1234` };
          if (NAMESPACED.test(args.type)) state.namespace = inputs.namespace ?? "default";
          return {
            id: String(typeof state.namespace === "string" && state.namespace ? `${state.namespace}/${String(state.name)}` : state.name),
            state,
          };
        },
        call: () => ({}),
      },
      "refs-test",
      "unit",
      false,
    );
  });

  const stackArgs = { stackId: "io.buildpacks.stacks.jammy", buildImage: "127.0.0.1:5000/stacks/build:1", runImage: "127.0.0.1:5000/stacks/run:1" };

  it("marks each referencable resource with its kind", () => {
    const stack = new ClusterStack("kind-stack", stackArgs);
    assert.equal(stack.kpackKind, "ClusterStack");
    assert.ok(isKpackObject(stack));
    assert.ok(!isKpackObject({ kpackKind: "ClusterStack", name: "x" }), "a plain object is not a resource");
    assert.ok(!isKpackObject("base"));
  });

  it("a Builder given its stack, store, lifecycle and buildpacks as resources registers their names and kinds", async () => {
    const stack = new ClusterStack("base", stackArgs);
    const store = new ClusterStore("store", { name: "default-store", sources: [{ image: "127.0.0.1:5000/buildpacks/java:18" }] });
    const lifecycle = new ClusterLifecycle("lifecycle", { image: "127.0.0.1:5000/buildpacksio/lifecycle:0.20.5" });
    const nodejs = new ClusterBuildpack("nodejs", { image: "127.0.0.1:5000/paketobuildpacks/nodejs:7" });
    const go = new Buildpack("go", { namespace: "apps", image: "127.0.0.1:5000/paketobuildpacks/go:4" });
    const b = new Builder("java", {
      namespace: "apps",
      tag: "127.0.0.1:5000/builders/java",
      stack,
      store,
      lifecycle,
      order: [
        { group: [{ id: "paketo-buildpacks/java" }] },
        {
          group: [
            { buildpack: nodejs },
            { buildpack: go, id: "paketo-buildpacks/go-dist", optional: true },
            { kind: "ClusterBuildpack", name: "ruby" },
          ],
        },
      ],
    });
    const inputs = await inputsOf(b, "java");
    assert.equal(inputs.stack, "base-abc1234");
    assert.equal(inputs.store, "default-store");
    assert.equal(inputs.lifecycle, "lifecycle-abc1234");
    assert.deepEqual(inputs.order, [
      { group: [{ id: "paketo-buildpacks/java" }] },
      {
        group: [
          { kind: "ClusterBuildpack", name: "nodejs-abc1234" },
          { kind: "Buildpack", name: "go-abc1234", id: "paketo-buildpacks/go-dist", optional: true },
          { kind: "ClusterBuildpack", name: "ruby" },
        ],
      },
    ]);
    // The dependency is in the graph: the name is an Output of the referenced resource.
    const ref = pulumi.output(refName(stack, ["ClusterStack"], { kind: "Builder", logicalName: "java" }, "stack")) as unknown as Internal<string>;
    assert.ok((await ref.allResources()).has(stack));
  });

  it("keeps plain names and plain references as they are", async () => {
    const b = new ClusterBuilder("plain", {
      tag: "127.0.0.1:5000/builders/default",
      stack: "base",
      serviceAccountRef: { name: "builder", namespace: "kpack" },
      order: pulumi.output([{ group: [{ id: "paketo-buildpacks/java" }] }]),
    });
    const inputs = await inputsOf(b, "plain");
    assert.equal(inputs.stack, "base");
    assert.equal(inputs.store, undefined);
    assert.deepEqual(inputs.order, [{ group: [{ id: "paketo-buildpacks/java" }] }]);
  });

  it("an Image given its builder as a resource registers {kind, name}", async () => {
    const cb = new ClusterBuilder("default", {
      tag: "127.0.0.1:5000/builders/default",
      stack: "base",
      serviceAccountRef: { name: "builder", namespace: "kpack" },
      order: [{ group: [{ id: "paketo-buildpacks/java" }] }],
    });
    const app = new Image("app", {
      namespace: "apps",
      tag: "127.0.0.1:5000/team/app",
      builder: cb,
      source: { git: { url: "http://127.0.0.1:3000/example/app.git", revision: "main" } },
    });
    assert.deepEqual((await inputsOf(app, "app")).builder, { kind: "ClusterBuilder", name: "default-abc1234" });

    const nb = new Builder("ns-builder", {
      namespace: "apps",
      tag: "127.0.0.1:5000/builders/ns",
      stack: "base",
      order: [{ group: [{ id: "x/y" }] }],
    });
    const app2 = new Image("app2", {
      namespace: "apps",
      tag: "127.0.0.1:5000/team/app2",
      builder: nb,
      source: { git: { url: "http://127.0.0.1:3000/example/app.git", revision: "main" } },
    });
    assert.deepEqual((await inputsOf(app2, "app2")).builder, { kind: "Builder", name: "ns-builder-abc1234" });
  });

  it("refuses a namespaced Builder from another namespace, saying how to fix it", async () => {
    const nb = new Builder("other-ns", { namespace: "team-a", tag: "127.0.0.1:5000/builders/a", stack: "base", order: [{ group: [{ id: "x/y" }] }] });
    const by = { kind: "Image", logicalName: "app3", namespace: "team-b" };
    const name = pulumi.output(refName(nb, ["Builder", "ClusterBuilder"], by, "builder")) as unknown as Internal<string>;
    await assert.rejects(
      name.promise(),
      /^Error: Image app3: builder: Builder team-a\/other-ns-abc1234 is in namespace "team-a" but this Image is in "team-b", and kpack looks a Builder up only in the Image's own namespace\. Put both in the same namespace, or use a ClusterBuilder\.$/,
    );
  });

  it("exposes the namespace of a namespaced resource even when it was not given, and checks it", async () => {
    const nb = new Builder("default-ns", { tag: "127.0.0.1:5000/builders/d", stack: "base", order: [{ group: [{ id: "x/y" }] }] });
    assert.equal(await value(nb.namespace), "default");
    const same = pulumi.output(refName(nb, ["Builder"], { kind: "Image", logicalName: "app4" }, "builder")) as unknown as Internal<string>;
    assert.equal(await same.promise(), "default-ns-abc1234");
    const other = pulumi.output(
      refName(nb, ["Builder"], { kind: "Image", logicalName: "app5", namespace: "apps" }, "builder"),
    ) as unknown as Internal<string>;
    await assert.rejects(
      other.promise(),
      /Image app5: builder: Builder default\/default-ns-abc1234 is in namespace "default" but this Image is in "apps"/,
    );
  });

  it("refuses a resource of the wrong kind (a JavaScript program has no type check)", () => {
    const store = new ClusterStore("wrong", { sources: [{ image: "127.0.0.1:5000/buildpacks/java:18" }] });
    assert.throws(
      () => new Builder("bad", { tag: "127.0.0.1:5000/builders/bad", stack: store as unknown as ClusterStack, order: [{ group: [{ id: "x/y" }] }] }),
      /^Error: Builder bad: stack: got a ClusterStore resource, but kpack expects ClusterStack here\. Pass a ClusterStack resource, or its name\.$/,
    );
    const bp = new Buildpack("ns-bp", { image: "127.0.0.1:5000/paketobuildpacks/go:4" });
    assert.throws(
      () =>
        new ClusterBuilder("bad2", {
          tag: "127.0.0.1:5000/builders/bad",
          stack: "base",
          serviceAccountRef: { name: "b", namespace: "kpack" },
          order: [{ group: [{ buildpack: bp as unknown as ClusterBuildpack }] }],
        }),
      /ClusterBuilder bad2: order\[0\]\.group\[0\]\.buildpack: got a Buildpack resource, but kpack expects ClusterBuildpack here/,
    );
  });

  it("several resources under one component register: the parent's URN in their inputs is no dependency on it", async () => {
    // A dependency on a component is one on all its children: each child would wait for its siblings.
    const parent = new pulumi.ComponentResource("kpack:test:Group", "group", {});
    const store = new ClusterStore("grouped-store", { sources: [{ image: "127.0.0.1:5000/buildpacks/a:1" }] }, { parent });
    const stack = new ClusterStack("grouped-stack", stackArgs, { parent });
    const inputs = await Promise.race([
      Promise.all([inputsOf(store, "grouped-store"), inputsOf(stack, "grouped-stack")]),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("the children of one component wait for each other")), 5000)),
    ]);
    assert.match(String(inputs[1].resourceUrn), /kpack:test:Group\$pulumi-nodejs:dynamic\/kpack:ClusterStack::grouped-stack$/);
  });
});
