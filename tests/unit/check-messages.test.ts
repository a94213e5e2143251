import * as assert from "node:assert/strict";
import { builder } from "../../provider/kinds/builder";
import { buildpack } from "../../provider/kinds/buildpack";
import { clusterBuilder } from "../../provider/kinds/cluster-builder";
import { clusterBuildpack } from "../../provider/kinds/cluster-buildpack";
import { clusterLifecycle } from "../../provider/kinds/cluster-lifecycle";
import { clusterStack } from "../../provider/kinds/cluster-stack";
import { clusterStore } from "../../provider/kinds/cluster-store";
import { image } from "../../provider/kinds/image";
import { kpackInstallation } from "../../provider/kinds/kpack-installation";
import { check, formatPath, type ResourceDefinition } from "../../provider/lifecycle";
import type { Props } from "../../provider/values";
import type { CommonInputs } from "../../schema/common";
import { fieldPaths } from "../../schema/walk";

/**
 * Every message check() can give names the field and says what it takes:
 * wrong-typed values fed to every field of every kind (found by walking the
 * kind's schema) never come back in one of zod's default wordings.
 */

// zod 4's English defaults (zod/v4/locales/en.js): none may reach a user.
const ZOD_DEFAULT =
  /Invalid (input|option|string|number|key|discriminator|value|element|union|type)|Too (big|small):|Unrecognized keys?:|expected .+, received|Required$/;

// A valid program for each kind: the base each wrong value is put into.
const KINDS: Array<[ResourceDefinition<CommonInputs>, Props]> = [
  [clusterStack, { stackId: "io.buildpacks.stacks.jammy", buildImage: "127.0.0.1:5000/stacks/build:1", runImage: "127.0.0.1:5000/stacks/run:1" }],
  [clusterStore, { sources: [{ image: "127.0.0.1:5000/buildpacks/java:18" }] }],
  [clusterLifecycle, { image: "127.0.0.1:5000/lifecycle:0.20" }],
  [clusterBuildpack, { image: "127.0.0.1:5000/buildpacks/java:18" }],
  [buildpack, { namespace: "apps", image: "127.0.0.1:5000/buildpacks/java:18" }],
  [builder, { namespace: "apps", tag: "127.0.0.1:5000/builders/java", stack: "base", order: [{ group: [{ id: "paketo-buildpacks/java" }] }] }],
  [
    clusterBuilder,
    {
      tag: "127.0.0.1:5000/builders/java",
      stack: "base",
      serviceAccountRef: { name: "builder", namespace: "kpack" },
      order: [{ group: [{ id: "paketo-buildpacks/java" }] }],
    },
  ],
  [
    image,
    {
      namespace: "apps",
      tag: "127.0.0.1:5000/team/app",
      builder: { kind: "ClusterBuilder", name: "default" },
      source: { git: { url: "https://127.0.0.1:3000/team/app.git", revision: "main" } },
    },
  ],
  [kpackInstallation, { version: "0.17.2" }],
];

const WRONG: unknown[] = [42, 1.5, -1, true, false, "x", "", null, [], ["x"], [42], {}, { kind: "ClusterStack", name: "base" }, { x: 1 }];

/** `base` with the value at `path` replaced, making the containers on the way (an array path step makes a one-entry list). */
function withValue(base: Props, path: PropertyKey[], value: unknown): Props {
  const root = structuredClone(base);
  let cur: Record<PropertyKey, unknown> = root;
  path.forEach((key, i) => {
    if (i === path.length - 1) {
      cur[key] = value;
      return;
    }
    const next = path[i + 1];
    const existing = cur[key];
    if (typeof next === "number") {
      cur[key] = Array.isArray(existing) && existing.length ? existing : [{}];
    } else if (!existing || typeof existing !== "object" || Array.isArray(existing)) {
      cur[key] = {};
    }
    cur = cur[key] as Record<PropertyKey, unknown>;
  });
  return root;
}

function reasons(def: ResourceDefinition<CommonInputs>, inputs: Props): string[] {
  return (check(def, undefined, { logicalName: "t", providerVersion: "0.1.0", ...inputs }).failures ?? []).map((f) => f.reason);
}

describe("check messages", () => {
  for (const [def, good] of KINDS) {
    describe(def.kind, () => {
      it("accepts the valid base program", () => {
        assert.deepEqual(reasons(def, good), []);
      });

      it("answers every wrong-typed value in every field with the field and what it takes, never a zod default", () => {
        const paths = fieldPaths(def.schema.inputs).filter(
          (p) => !["logicalName", "providerVersion", "resourceUrn", "autoNamed"].includes(String(p[0])),
        );
        assert.ok(paths.length >= 3, `${def.kind} has fields`);
        const bad: string[] = [];
        let checked = 0;
        for (const path of paths) {
          for (const value of WRONG) {
            for (const reason of reasons(def, withValue(good, path, value))) {
              checked++;
              if (ZOD_DEFAULT.test(reason) || !/^\S+ [^:]+: \S.*: \S/.test(reason))
                bad.push(`${formatPath(path)} = ${JSON.stringify(value)}: ${reason}`);
            }
          }
        }
        if (process.env.PULUMI_KPACK_DUMP_MESSAGES) console.log(def.kind, checked);
        assert.deepEqual([...new Set(bad)], []);
        assert.ok(checked > paths.length, "wrong values were reported");
      });
    });
  }

  describe("references given in a form the field does not take say which forms it takes", () => {
    const [, goodBuilder] = KINDS.find(([d]) => d === builder)!;
    const [, goodImage] = KINDS.find(([d]) => d === image)!;
    const one = (def: ResourceDefinition<CommonInputs>, inputs: Props) => {
      const r = reasons(def, inputs);
      assert.equal(r.length, 1, r.join("\n"));
      return r[0];
    };

    it("a builder's stack, store and lifecycle: the resource or its name, not {kind, name}", () => {
      assert.match(
        one(builder, { ...goodBuilder, stack: { kind: "ClusterStack", name: "base" } }),
        /: stack: takes a ClusterStack resource or its name, not an object \{kind, name\}\. Pass the ClusterStack resource, or its name, e\.g\. "base"\.$/,
      );
      assert.match(
        one(clusterBuilder, { ...KINDS.find(([d]) => d === clusterBuilder)![1], store: { kind: "ClusterStore", name: "s" } }),
        /: store: takes a ClusterStore resource or its name, not an object \{kind, name\}/,
      );
      assert.match(
        one(builder, { ...goodBuilder, lifecycle: ["default-lifecycle"] }),
        /: lifecycle: takes a ClusterLifecycle resource or its name, not a list/,
      );
    });

    it("an Image's builder: the resource or {kind, name}, not a bare name", () => {
      assert.match(
        one(image, { ...goodImage, builder: "default" }),
        /: builder: takes a Builder or ClusterBuilder resource, or \{kind: "Builder" \| "ClusterBuilder", name\}, not a string\. E\.g\. builder: \{kind: "ClusterBuilder", name: "default"\}\.$/,
      );
    });

    it("an order entry: {id}, {kind, name} or {buildpack: <resource>}", () => {
      assert.match(
        one(builder, { ...goodBuilder, order: [{ group: ["paketo-buildpacks/java"] }] }),
        /: order\[0\]\.group\[0\]: must be \{id: "paketo-buildpacks\/java"\}, \{kind: "Buildpack" \| "ClusterBuildpack", name\}, or \{buildpack: <Buildpack or ClusterBuildpack resource>\}, not a string\.$/,
      );
      const r = reasons(builder, { ...goodBuilder, order: [{ group: [{ buildpack: "java" }] }] }).join("\n");
      assert.match(
        r,
        /: order\[0\]\.group\[0\]\.buildpack: takes a Buildpack or ClusterBuildpack resource \(pulumi-kpack turns it into its kind and name\)\. To name one, give \{kind: "Buildpack" \| "ClusterBuildpack", name\} instead\./,
      );
    });

    it("installKpack: false or the options object", () => {
      assert.match(
        one(image, { ...goodImage, installKpack: true }),
        /: installKpack: must be false or an object \{version\?, manifestUrl\?, manifestFile\?, manifestYaml\?, skipAwait\?, timeoutSeconds\?\}, but is true\.$/,
      );
      assert.match(
        one(image, { ...goodImage, installKpack: { version: 17 } }),
        /: installKpack\.version: must be a string, but is a whole number\.$/,
      );
    });
  });
});
