import * as assert from "node:assert/strict";
import { clusterStack } from "../../provider/kinds/cluster-stack";
import { builder } from "../../provider/kinds/builder";
import { buildpack } from "../../provider/kinds/buildpack";
import { clusterBuilder } from "../../provider/kinds/cluster-builder";
import { clusterBuildpack } from "../../provider/kinds/cluster-buildpack";
import { clusterLifecycle } from "../../provider/kinds/cluster-lifecycle";
import { clusterStore } from "../../provider/kinds/cluster-store";
import { image } from "../../provider/kinds/image";
import { toObject } from "../../provider/kind";
import * as lifecycle from "../../provider/lifecycle";
import { UNKNOWN } from "../../schema/common";
import { parsed } from "./fixtures/kpack";

const def = clusterStack;
const base = {
  logicalName: "base",
  providerVersion: "0.1.0",
  stackId: "io.buildpacks.stacks.test",
  buildImage: "127.0.0.1:5000/stacks/build:1",
  runImage: "127.0.0.1:5000/stacks/run:1",
};

describe("lifecycle.check", () => {
  it("auto-names from the logical name and keeps that name on later checks", () => {
    const first = lifecycle.check(def, undefined, { ...base, __provider: "x" });
    assert.deepEqual(first.failures, []);
    const name = first.inputs!.name as string;
    assert.match(name, /^base-[0-9a-f]{7}$/);
    assert.equal(first.inputs!.autoNamed, true);
    assert.equal(first.inputs!.__provider, undefined, "the serialized provider is not an input of ours");
    const second = lifecycle.check(def, first.inputs, { ...base, runImage: "127.0.0.1:5000/stacks/run:2" });
    assert.equal(second.inputs!.name, name);
  });

  it("derives the auto-name's suffix from the URN, so a retried create (no old state) picks the same name", () => {
    const urn = "urn:pulumi:dev::proj::pulumi-nodejs:dynamic/kpack:ClusterStack::base";
    const a = lifecycle.check(def, undefined, { ...base, resourceUrn: urn });
    const b = lifecycle.check(def, undefined, { ...base, resourceUrn: urn });
    const other = lifecycle.check(def, undefined, { ...base, resourceUrn: urn.replace("dev::", "prod::") });
    assert.match(a.inputs!.name as string, /^base-[0-9a-f]{7}$/);
    assert.equal(b.inputs!.name, a.inputs!.name);
    assert.notEqual(other.inputs!.name, a.inputs!.name, "another stack's resource of the same name gets another object");
  });

  it("uses an explicit name and drops the auto-named mark", () => {
    const r = lifecycle.check(def, { ...base, name: "base-1234567", autoNamed: true }, { ...base, name: "my-stack" });
    assert.equal(r.inputs!.name, "my-stack");
    assert.equal(r.inputs!.autoNamed, undefined);
  });

  it("turns logical names that are not DNS names into valid object names", () => {
    const r = lifecycle.check(def, undefined, { ...base, logicalName: "My_Stack.Prod" });
    assert.deepEqual(r.failures, []);
    assert.match(r.inputs!.name as string, /^my-stack-prod-[0-9a-f]{7}$/);
  });

  it("names the resource, the field and the rule in each failure", () => {
    const r = lifecycle.check(def, undefined, { ...base, name: "Bad_Name", buildImage: "", runImage: "not a ref", stackId: "" });
    const byProp = new Map<string, string>();
    for (const f of r.failures!) byProp.set(f.property, [byProp.get(f.property), f.reason].filter(Boolean).join("\n"));
    assert.match(byProp.get("name")!, /^ClusterStack Bad_Name: name: must be lower-case/);
    assert.match(byProp.get("buildImage")!, /buildImage: must not be empty/);
    assert.match(byProp.get("runImage")!, /runImage: must be an image reference/);
    assert.match(byProp.get("stackId")!, /stackId: must name the stack id/);
  });

  it("rejects keys the kind does not have (a typo in a JS program)", () => {
    const r = lifecycle.check(def, undefined, { ...base, buildimage: "x" });
    assert.equal(r.failures!.length, 1);
    assert.match(
      r.failures![0].reason,
      /^ClusterStack base-[0-9a-f]{7}: buildimage: is not an input of ClusterStack: did you mean buildImage\? Rename it\.$/,
    );
  });

  it("skips checks of values unknown at preview", () => {
    const r = lifecycle.check(def, undefined, { ...base, buildImage: UNKNOWN, serviceAccountRef: { name: UNKNOWN, namespace: "kpack" } });
    assert.deepEqual(r.failures, []);
  });

  it("rejects a bad nested field with its full path", () => {
    const r = lifecycle.check(def, undefined, { ...base, serviceAccountRef: { name: "sa", namespace: "Not Valid" } });
    assert.equal(r.failures!.length, 1);
    assert.match(r.failures![0].reason, /serviceAccountRef\.namespace: must be lower-case/);
  });
});

describe("lifecycle.diff", () => {
  const olds = { ...base, name: "base-abc1234", autoNamed: true, ready: true, conditions: [] };
  it("reports no change when only outputs and the logical name differ", () => {
    const d = lifecycle.diff(def, olds, { ...base, name: "base-abc1234", autoNamed: true, logicalName: "renamed" });
    assert.equal(d.changes, false);
    assert.deepEqual(d.replaces, []);
  });
  it("updates in place when an image changes", () => {
    const d = lifecycle.diff(def, olds, { ...base, name: "base-abc1234", runImage: "127.0.0.1:5000/stacks/run:2" });
    assert.equal(d.changes, true);
    assert.deepEqual(d.replaces, []);
  });
  it("replaces, deleting first, when the name changes", () => {
    const d = lifecycle.diff(def, olds, { ...base, name: "other" });
    assert.deepEqual(d.replaces, ["name"]);
    assert.equal(d.deleteBeforeReplace, true);
  });
  it("counts a provider version change as an update, so fixed code reaches stored state", () => {
    const d = lifecycle.diff(def, olds, { ...base, name: "base-abc1234", providerVersion: "0.2.0" });
    assert.equal(d.changes, true);
    assert.deepEqual(d.replaces, []);
  });
  it("treats an unknown value as a change", () => {
    const d = lifecycle.diff(def, olds, { ...base, name: "base-abc1234", buildImage: UNKNOWN });
    assert.equal(d.changes, true);
  });
});

describe("toObject", () => {
  it("writes the kpack object with the managed-by label and no namespace for a cluster kind", () => {
    const o = toObject(def.object, parsed(def, { ...base, name: "base-abc1234" }));
    assert.deepEqual(o, {
      apiVersion: "kpack.io/v1alpha2",
      kind: "ClusterStack",
      metadata: { name: "base-abc1234", labels: { "app.kubernetes.io/managed-by": "pulumi-kpack" } },
      spec: {
        id: "io.buildpacks.stacks.test",
        buildImage: { image: "127.0.0.1:5000/stacks/build:1" },
        runImage: { image: "127.0.0.1:5000/stacks/run:1" },
      },
    });
  });
});

describe("kind definitions", () => {
  it("never name an output like an input (outputs are merged over inputs in state, so a clash would diff forever)", () => {
    for (const d of [clusterStack, clusterStore, clusterLifecycle, clusterBuildpack, buildpack, builder, clusterBuilder, image]) {
      const outs = Object.keys(
        d.object.outputs({ apiVersion: "kpack.io/v1alpha2", kind: d.kind, metadata: { name: "n", generation: 1 }, status: {} }),
      );
      assert.deepEqual(
        outs.filter((o) => d.schema.keys.includes(o)),
        [],
        d.kind,
      );
    }
  });
});
