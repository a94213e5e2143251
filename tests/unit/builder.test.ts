import * as assert from "node:assert/strict";
import { builder, builderReadiness } from "../../provider/kinds/builder";
import type { KubeObject } from "../../provider/kube/objects";
import { UNKNOWN } from "../../schema/common";
import { DIGEST_A, DIGEST_B, failures, live, objectFor, T0 } from "./fixtures/kpack";

const def = builder;
const good = {
  namespace: "apps",
  tag: "127.0.0.1:5000/builders/java",
  stack: "base",
  order: [{ group: [{ id: "paketo-buildpacks/java" }] }],
};

/** Builder status as kpack's BuilderRecord writes it after a successful reconcile. */
function builtStatus(generation: number) {
  return {
    observedGeneration: generation,
    conditions: [
      { type: "Ready", status: "True", lastTransitionTime: T0 },
      { type: "UpToDate", status: "True", lastTransitionTime: T0 },
    ],
    builderMetadata: [
      { id: "paketo-buildpacks/java", version: "18.5.0", homepage: "http://127.0.0.1/paketo-buildpacks/java" },
      { id: "paketo-buildpacks/ca-certificates", version: "3.8.6", homepage: "http://127.0.0.1/paketo-buildpacks/ca-certificates" },
      { id: "paketo-buildpacks/bellsoft-liberica", version: "11.2.1" },
    ],
    order: [{ group: [{ id: "paketo-buildpacks/java", version: "18.5.0" }] }],
    stack: { runImage: `127.0.0.1:5000/stacks/run@${DIGEST_B}`, id: "io.buildpacks.stacks.jammy" },
    lifecycle: {
      image: { latestImage: `127.0.0.1:5000/buildpacksio/lifecycle@${DIGEST_A}`, image: "127.0.0.1:5000/buildpacksio/lifecycle:0.20.5" },
      version: "0.20.5",
      api: { buildpack: "0.2", platform: "0.3" },
    },
    latestImage: `127.0.0.1:5000/builders/java@${DIGEST_A}`,
    observedStackGeneration: 1,
    observedStoreGeneration: 1,
    os: "linux",
  };
}

/** Status after kpack's ErrorCreate: conditions replaced, the rest of an older status kept. */
function failedStatus(generation: number, message: string, hadImage: boolean): object {
  const base = hadImage ? builtStatus(generation - 1) : {};
  return {
    ...base,
    observedGeneration: generation,
    conditions: [
      hadImage
        ? { type: "Ready", status: "True", lastTransitionTime: T0 }
        : { type: "Ready", status: "False", reason: "NoLatestImage", message: "Builder has no latestImage", lastTransitionTime: T0 },
      { type: "UpToDate", status: "False", reason: "ReconcileFailed", message, lastTransitionTime: T0 },
    ],
  };
}

const b = (generation: number, status: object | undefined): KubeObject => live("Builder", "java", generation, status, "apps");

describe("Builder", () => {
  describe("schema", () => {
    it("accepts id entries, Buildpack and ClusterBuildpack entries, versions and optional", () => {
      const order = [
        {
          group: [
            { id: "paketo-buildpacks/java", version: "18.5.0" },
            { id: "paketo-buildpacks/procfile", optional: true },
          ],
        },
        {
          group: [
            { kind: "Buildpack", name: "nodejs" },
            { kind: "ClusterBuildpack", name: "go", id: "paketo-buildpacks/go-dist", optional: true },
          ],
        },
      ];
      assert.deepEqual(
        failures(def, {
          ...good,
          order,
          store: "default",
          lifecycle: "lifecycle-0-20",
          serviceAccountName: "builder",
          additionalLabels: { "team/owner": "payments" },
        }),
        [],
      );
    });

    it("requires tag, stack and order, with the fix in the message", () => {
      const f = failures(def, { namespace: "apps" }).join("\n");
      assert.match(f, /Builder apps\/t-[0-9a-f]{7}: tag: is required: the image tag to push to/);
      assert.match(f, /stack: is required: a ClusterStack resource or its name, e.g. "base"/);
      assert.match(f, /order: is required: at least one group of buildpacks/);
      assert.match(failures(def, { ...good, order: [] }).join("\n"), /order: must have at least one group/);
      assert.match(failures(def, { ...good, order: [{ group: [] }] }).join("\n"), /order\[0\]\.group: must list at least one buildpack/);
    });

    it("names the bad order entry by its path", () => {
      const f = failures(def, {
        ...good,
        order: [{ group: [{ id: "ok/one" }] }, { group: [{ id: "ok/two" }, { kind: "ClusterStore", name: "default" }] }],
      });
      assert.deepEqual(
        f.map((x) => x.replace(/^Builder apps\/t-[0-9a-f]{7}: /, "")),
        ['order[1].group[1].kind: must be "Buildpack" or "ClusterBuildpack" (or leave kind out and give a buildpack id).'],
      );
    });

    it("rejects image entries (kpack does not support them) and a name without kind", () => {
      const f = failures(def, { ...good, order: [{ group: [{ image: "127.0.0.1:5000/paketobuildpacks/java" }, { name: "java" }] }] }).join("\n");
      assert.match(f, /order\[0\]\.group\[0\]\.image: kpack does not support image entries/);
      assert.match(f, /order\[0\]\.group\[1\]\.name: needs a kind next to it \("Buildpack" or "ClusterBuildpack"\)/);
    });

    it("rejects a digest tag; takes any OCI image label, as kpack's webhook does", () => {
      const f = failures(def, { ...good, tag: `127.0.0.1:5000/builders/java@${DIGEST_A}` }).join("\n");
      assert.match(f, /tag: must be a tag to push to/);
      const labels = {
        "-not-a-k8s-key": "x",
        "org.opencontainers.image.description": "has spaces, and is longer than a Kubernetes label value may be at all",
      };
      assert.deepEqual(failures(def, { ...good, additionalLabels: labels }), []);
      assert.match(failures(def, { ...good, additionalLabels: { "": "x" } }).join("\n"), /additionalLabels\.: an image label key must not be empty/);
    });

    it("skips checks of values unknown at preview (names of resources not created yet)", () => {
      const order = [{ group: [{ kind: "ClusterBuildpack", name: UNKNOWN }, { kind: UNKNOWN, name: "x" }, UNKNOWN] }, UNKNOWN];
      assert.deepEqual(failures(def, { ...good, stack: UNKNOWN, store: UNKNOWN, lifecycle: UNKNOWN, order }), []);
      assert.deepEqual(failures(def, { ...good, order: UNKNOWN }), []);
    });

    it("has no serviceAccountRef (that is ClusterBuilder's field)", () => {
      assert.match(
        failures(def, { ...good, serviceAccountRef: { name: "a", namespace: "b" } }).join("\n"),
        /serviceAccountRef: is not an input of Builder: did you mean serviceAccountName\?/,
      );
    });
  });

  describe("manifest", () => {
    it("writes every default kpack's webhook would add: stack kind, lifecycle, serviceAccountName", () => {
      const o = objectFor(builder, good);
      assert.equal(o.metadata?.namespace, "apps");
      assert.deepEqual(o.spec, {
        tag: "127.0.0.1:5000/builders/java",
        stack: { kind: "ClusterStack", name: "base" },
        lifecycle: { kind: "ClusterLifecycle", name: "default-lifecycle" },
        order: [{ group: [{ id: "paketo-buildpacks/java" }] }],
        serviceAccountName: "default",
      });
    });

    it("writes store and lifecycle with their kinds, object entries with theirs, and labels", () => {
      const o = objectFor(builder, {
        ...good,
        store: "default",
        lifecycle: "lifecycle-0-20",
        serviceAccountName: "builder",
        additionalLabels: { "team/owner": "payments" },
        order: [
          {
            group: [
              { kind: "ClusterBuildpack", name: "go", id: "paketo-buildpacks/go-dist", version: "2.7.0", optional: true },
              { id: "paketo-buildpacks/procfile" },
            ],
          },
        ],
      });
      assert.deepEqual(o.spec, {
        tag: "127.0.0.1:5000/builders/java",
        stack: { kind: "ClusterStack", name: "base" },
        store: { kind: "ClusterStore", name: "default" },
        lifecycle: { kind: "ClusterLifecycle", name: "lifecycle-0-20" },
        order: [
          {
            group: [
              { kind: "ClusterBuildpack", name: "go", id: "paketo-buildpacks/go-dist", version: "2.7.0", optional: true },
              { id: "paketo-buildpacks/procfile" },
            ],
          },
        ],
        additionalLabels: { "team/owner": "payments" },
        serviceAccountName: "builder",
      });
    });
  });

  describe("outputs", () => {
    it("reads latestImage, buildpacks, stack, ready and upToDate off the status", () => {
      const out = builder.object.outputs(b(1, builtStatus(1)));
      assert.equal(out.latestImage, `127.0.0.1:5000/builders/java@${DIGEST_A}`);
      assert.deepEqual(out.buildpacks, [
        { id: "paketo-buildpacks/java", version: "18.5.0", homepage: "http://127.0.0.1/paketo-buildpacks/java" },
        { id: "paketo-buildpacks/ca-certificates", version: "3.8.6", homepage: "http://127.0.0.1/paketo-buildpacks/ca-certificates" },
        { id: "paketo-buildpacks/bellsoft-liberica", version: "11.2.1" },
      ]);
      assert.deepEqual(out.resolvedStack, { id: "io.buildpacks.stacks.jammy", runImage: `127.0.0.1:5000/stacks/run@${DIGEST_B}` });
      assert.equal(out.ready, true);
      assert.equal(out.upToDate, true);
      assert.equal((out.conditions as unknown[]).length, 2);
    });

    it("keeps the older image but reports upToDate false after a failed reconcile", () => {
      const out = builder.object.outputs(b(2, failedStatus(2, "could not find buildpack with id 'paketo-buildpacks/jav'", true)));
      assert.equal(out.latestImage, `127.0.0.1:5000/builders/java@${DIGEST_A}`);
      assert.equal(out.ready, true);
      assert.equal(out.upToDate, false);
    });

    it("has nothing resolved before the first reconcile", () => {
      const out = builder.object.outputs(b(1, undefined));
      assert.deepEqual([out.latestImage, out.buildpacks, out.resolvedStack, out.ready, out.upToDate], ["", undefined, undefined, false, false]);
    });
  });

  describe("readiness", () => {
    it("is ready on Ready=True and UpToDate=True at the current generation", () => {
      assert.deepEqual(builderReadiness(b(1, builtStatus(1))), { state: "ready" });
    });

    it("is pending while kpack has not observed the current generation, even if an older one was ready", () => {
      const r = builderReadiness(b(2, builtStatus(1)));
      assert.deepEqual(r, { state: "pending", message: "waiting for kpack to observe generation 2" });
    });

    it("fails on UpToDate=False at the current generation although Ready stays True", () => {
      const r = builderReadiness(b(2, failedStatus(2, "could not find buildpack with id 'paketo-buildpacks/jav'", true)));
      assert.deepEqual(r, { state: "failed", message: "ReconcileFailed: could not find buildpack with id 'paketo-buildpacks/jav'" });
    });

    it("fails with the reconcile error when there is no builder image at all", () => {
      const msg = "PUT http://127.0.0.1:5000/v2/builders/java/manifests/latest: UNAUTHORIZED: authentication required";
      const r = builderReadiness(b(1, failedStatus(1, msg, false)));
      assert.equal(r.state, "failed");
      const message = (r as { message: string }).message;
      assert.ok(message.startsWith(`ReconcileFailed: ${msg}. `), message);
      // A refused login also says whose credentials kpack used and how to give them.
      assert.match(message, /The registry refused the credentials of ServiceAccount apps\/default, .*managedServiceAccount\.registryCredentials/);
    });

    it("stays pending while kpack waits for a stack, store or lifecycle it will retry on", () => {
      for (const msg of [
        "Error: clusterstack 'base' is not ready",
        "Error: clusterlifecycle 'default-lifecycle' is not ready",
        'clusterstack.kpack.io "base" not found',
        'clusterstore.kpack.io "default" not found',
      ]) {
        const r = builderReadiness(b(1, failedStatus(1, msg, false)));
        assert.equal(r.state, "pending", msg);
        assert.match((r as { message: string }).message, new RegExp(msg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
      }
    });

    it("ignores an UpToDate=False from an older generation", () => {
      const old = { ...failedStatus(1, "boom", true), observedGeneration: 1 };
      assert.equal(builderReadiness(b(2, old)).state, "pending");
    });
  });
});
