import * as assert from "node:assert/strict";
import * as lifecycle from "../../provider/lifecycle";
import { image } from "../../provider/kinds/image";
import { buildToWatch, digestOf, imageWait } from "../../provider/kinds/image/status";
import type { KubeObject } from "../../provider/kube/objects";
import { UNKNOWN } from "../../schema/common";
import { DIGEST_A, DIGEST_B, DIGEST_C, failures, live, objectFor, T0 } from "./fixtures/kpack";

const def = image;
const good = {
  namespace: "apps",
  tag: "127.0.0.1:5000/team/app",
  builder: { kind: "ClusterBuilder", name: "default" },
  source: { git: { url: "http://127.0.0.1:3000/example/app.git", revision: "main" } },
};
const strip = (f: string[]) => f.map((x) => x.replace(/^Image apps\/t-[0-9a-f]{7}: /, ""));

// ---- kpack v0.17.2 objects: an Image "app" in namespace "apps" and its Builds ----

const OLD_IMAGE = `127.0.0.1:5000/team/app@${DIGEST_A}`;
const NEW_IMAGE = `127.0.0.1:5000/team/app@${DIGEST_B}`;

const builderOk = [
  { type: "BuilderReady", status: "True", reason: "BuilderReady", lastTransitionTime: T0 },
  { type: "BuilderUpToDate", status: "True", reason: "BuilderUpToDate", lastTransitionTime: T0 },
];

/** Image status while build N (made for generation `buildGen`) runs; latestImage is the previous result, if any. */
function running(observed: number, n: number, buildGen: number, previous?: string) {
  return {
    observedGeneration: observed,
    conditions: [
      { type: "Ready", status: "Unknown", reason: "BuildRunning", message: `Build 'app-build-${n}' is executing`, lastTransitionTime: T0 },
      ...builderOk,
    ],
    latestBuildRef: `app-build-${n}`,
    latestBuildImageGeneration: buildGen,
    ...(previous ? { latestImage: previous, latestStack: "io.buildpacks.stacks.jammy" } : {}),
    buildCounter: n,
    buildCacheName: "app-cache",
    latestBuildReason: n === 1 ? "CONFIG" : "CONFIG,BUILDPACK",
  };
}

/** Image status after build N succeeded (noScheduledBuild: Ready=True UpToDate). */
function succeeded(observed: number, n: number, buildGen: number, latest: string) {
  return {
    observedGeneration: observed,
    conditions: [{ type: "Ready", status: "True", reason: "UpToDate", lastTransitionTime: T0 }, ...builderOk],
    latestBuildRef: `app-build-${n}`,
    latestBuildImageGeneration: buildGen,
    latestImage: latest,
    latestStack: "io.buildpacks.stacks.jammy",
    buildCounter: n,
    buildCacheName: "app-cache",
    latestBuildReason: "CONFIG",
  };
}

const BUILD_ERROR = "Error: ERROR: failed to build: exit status 1\nERROR: No buildpack groups passed detection.";

/** Image status after build N failed. */
function failed(observed: number, n: number, buildGen: number, previous?: string) {
  return {
    ...running(observed, n, buildGen, previous),
    conditions: [
      {
        type: "Ready",
        status: "False",
        reason: "BuildFailed",
        message: `Error: Build 'app-build-${n}' in namespace 'apps' failed: ${BUILD_ERROR}`,
        lastTransitionTime: T0,
      },
      ...builderOk,
    ],
  };
}

function build(n: number, imageGeneration: number, succeededCondition: object, extra: object = {}): KubeObject {
  return {
    apiVersion: "kpack.io/v1alpha2",
    kind: "Build",
    metadata: {
      name: `app-build-${n}`,
      namespace: "apps",
      generation: 1,
      labels: {
        "image.kpack.io/image": "app",
        "image.kpack.io/buildNumber": String(n),
        "image.kpack.io/imageGeneration": String(imageGeneration),
        "app.kubernetes.io/managed-by": "pulumi-kpack",
      },
      annotations: { "image.kpack.io/reason": "CONFIG", "image.kpack.io/builderKind": "ClusterBuilder", "image.kpack.io/builderName": "default" },
    },
    spec: {
      tags: ["127.0.0.1:5000/team/app", "127.0.0.1:5000/team/app:b1.20260620.100000"],
      builder: { image: `127.0.0.1:5000/builders/default@${DIGEST_C}` },
    },
    status: {
      observedGeneration: 1,
      conditions: [{ lastTransitionTime: T0, ...succeededCondition }],
      lifecycleVersion: "",
      podName: `app-build-${n}-build-pod`,
      ...extra,
    },
  };
}

const buildRunning = (n: number, gen: number) =>
  build(
    n,
    gen,
    { type: "Succeeded", status: "Unknown" },
    { stepsCompleted: ["prepare", "analyze", "detect"], stepStates: [{ terminated: { exitCode: 0, reason: "Completed" } }] },
  );
const buildPulling = (n: number, gen: number) =>
  build(n, gen, {
    type: "Succeeded",
    status: "Unknown",
    reason: "ImagePullBackOff",
    message: 'Back-off pulling image "127.0.0.1:5000/builders/default@sha256:c3c3"',
  });
const buildSucceeded = (n: number, gen: number, latest: string) =>
  build(
    n,
    gen,
    { type: "Succeeded", status: "True", reason: "Completed" },
    {
      latestImage: latest,
      lifecycleVersion: "0.20.5",
      buildMetadata: [{ id: "paketo-buildpacks/java", version: "18.5.0" }],
      stack: { runImage: `127.0.0.1:5000/stacks/run@${DIGEST_C}`, id: "io.buildpacks.stacks.jammy" },
      stepsCompleted: ["prepare", "analyze", "detect", "restore", "build", "export", "completion"],
    },
  );
const buildFailed = (n: number, gen: number) =>
  build(n, gen, { type: "Succeeded", status: "False", reason: "Failed", message: BUILD_ERROR }, { stepsCompleted: ["prepare", "analyze", "detect"] });

const img = (generation: number, status: object | undefined) => live("Image", "app", generation, status, "apps");

describe("Image", () => {
  describe("schema", () => {
    it("accepts each kind of source, and the full set of fields", () => {
      assert.deepEqual(failures(def, good), []);
      assert.deepEqual(
        failures(def, { ...good, source: { blob: { url: "http://127.0.0.1:8080/app.tgz", stripComponents: 1, auth: "secret" }, subPath: "svc" } }),
        [],
      );
      assert.deepEqual(
        failures(def, { ...good, source: { registry: { image: "127.0.0.1:5000/src/app:1", imagePullSecrets: [{ name: "src-pull" }] } } }),
        [],
      );
      const full = {
        ...good,
        additionalTags: ["127.0.0.1:5000/team/app:stable"],
        serviceAccountName: "builder",
        cache: { volume: { size: "2G", storageClassName: "standard" } },
        failedBuildHistoryLimit: 3,
        successBuildHistoryLimit: 5,
        imageTaggingStrategy: "None",
        build: {
          env: [
            { name: "BP_JVM_VERSION", value: "21" },
            { name: "BP_MAVEN_BUILD_ARGUMENTS", valueFrom: { configMapKeyRef: { name: "maven", key: "args" } } },
          ],
          resources: { limits: { cpu: "2", memory: "2Gi" }, requests: { cpu: "500m", memory: "1Gi" } },
          tolerations: [{ key: "builds", operator: "Exists", effect: "NoSchedule" }],
          nodeSelector: { "node/pool": "builds" },
          buildTimeout: 1800,
          creationTime: "now",
        },
        projectDescriptorPath: "deploy/project.toml",
        defaultProcess: "web",
        cosign: { annotations: [{ name: "team", value: "payments" }] },
      };
      assert.deepEqual(failures(def, full), []);
    });

    it("requires tag, builder and source, saying what to give", () => {
      const f = strip(failures(def, { namespace: "apps" }));
      assert.deepEqual(f, [
        "tag: is required: the image tag to push to, such as registry.example.com/team/app.",
        'builder: is required: the builder to use, e.g. {kind: "ClusterBuilder", name: "default"}, or pass the Builder/ClusterBuilder resource.',
        'source: is required: where the source comes from, e.g. {git: {url: "https://github.com/org/app", revision: "main"}}.',
      ]);
    });

    it("wants exactly one of git, blob and registry", () => {
      assert.deepEqual(strip(failures(def, { ...good, source: { subPath: "svc" } })), [
        'source: must give exactly one of git, blob, registry, e.g. {git: {url: "https://github.com/org/app", revision: "main"}}.',
      ]);
      assert.deepEqual(strip(failures(def, { ...good, source: { git: good.source.git, registry: { image: "127.0.0.1:5000/src/app" } } })), [
        "source.registry: must give exactly one of git, blob, registry, but gives git and registry. Keep one.",
      ]);
    });

    it("names missing and bad source fields", () => {
      const f = strip(failures(def, { ...good, source: { git: { url: "http://127.0.0.1:3000/example/app.git" } } }));
      assert.deepEqual(f, ["source.git.revision: is required: a branch, tag or commit SHA, e.g. main."]);
      assert.match(
        failures(def, { ...good, source: { blob: { url: "http://127.0.0.1:8080/a.zip", auth: "basic" } } }).join("\n"),
        /source\.blob\.auth: must be "helper" or "secret"/,
      );
      assert.match(
        failures(def, { ...good, source: { blob: { url: "http://127.0.0.1:8080/a.zip", stripComponents: -1 } } }).join("\n"),
        /source\.blob\.stripComponents: must be 0 or more/,
      );
    });

    it("wants additionalTags in the registry of tag, naming the bad one", () => {
      const f = strip(failures(def, { ...good, additionalTags: ["127.0.0.1:5000/team/app:stable", "127.0.0.1:5001/team/app:stable"] }));
      assert.deepEqual(f, [
        "additionalTags[1]: must be in the registry of tag (127.0.0.1:5000), not 127.0.0.1:5001: kpack rejects additional tags in another registry. Use a 127.0.0.1:5000/… tag.",
      ]);
      // The registry is the host[:port] as written: another repository on it is fine, another port or spelling of the host is not.
      assert.deepEqual(
        failures(def, { ...good, tag: "localhost:5000/team/app", additionalTags: ["localhost:5000/team/app:stable", "localhost:5000/other/app:b"] }),
        [],
      );
      assert.equal(failures(def, { ...good, tag: "localhost:5000/app", additionalTags: ["localhost:5001/app"] }).length, 1);
      assert.equal(failures(def, { ...good, tag: "localhost:5000/app", additionalTags: ["127.0.0.1:5000/app"] }).length, 1);
    });

    it("rejects a digest as tag and a bad builder kind", () => {
      const f = strip(failures(def, { ...good, tag: `127.0.0.1:5000/team/app@${DIGEST_A}`, builder: { kind: "Stack", name: "x" } }));
      assert.match(f.join("\n"), /^tag: must be a tag to push to/m);
      assert.match(f.join("\n"), /^builder\.kind: must be "Builder" or "ClusterBuilder"\.$/m);
    });

    it("rejects history limits below 1 and other tagging strategies", () => {
      const f = strip(failures(def, { ...good, failedBuildHistoryLimit: 0, successBuildHistoryLimit: 2.5, imageTaggingStrategy: "Latest" }));
      assert.deepEqual(f, [
        "failedBuildHistoryLimit: must be at least 1 (kpack keeps at least one build).",
        "successBuildHistoryLimit: must be a whole number.",
        'imageTaggingStrategy: must be "BuildNumber" or "None".',
      ]);
    });

    it("rejects secretKeyRef in build env like kpack does, and a kubernetes.io/os node selector", () => {
      const f = strip(
        failures(def, {
          ...good,
          build: {
            env: [
              { name: "OK", value: "1" },
              { name: "TOKEN", valueFrom: { secretKeyRef: { name: "s", key: "token" } } },
            ],
            nodeSelector: { "kubernetes.io/os": "linux" },
          },
        }),
      );
      assert.equal(f.length, 2);
      assert.match(f[0], /^build\.env\[1\]\.valueFrom\.secretKeyRef: kpack rejects secretKeyRef in build env/);
      assert.match(f[1], /^build\.nodeSelector\.kubernetes\.io\/os: must not be set: kpack picks the OS from the builder/);
    });

    it("wants exactly one cache, with a valid size", () => {
      assert.match(failures(def, { ...good, cache: {} }).join("\n"), /cache: must give exactly one of volume, registry/);
      assert.match(
        failures(def, { ...good, cache: { volume: { size: "2G" }, registry: { tag: "127.0.0.1:5000/team/app-cache" } } }).join("\n"),
        /cache\.registry: must give exactly one of volume, registry/,
      );
      assert.match(failures(def, { ...good, cache: { volume: { size: "2 GB" } } }).join("\n"), /cache\.volume\.size: must be a Kubernetes quantity/);
      assert.match(failures(def, { ...good, cache: { volume: {} } }).join("\n"), /cache\.volume\.size: is required: the volume size/);
    });

    it("limits the name to 63 characters (kpack copies it into label values) and auto-names within it", () => {
      const f = failures(def, { ...good, name: "a".repeat(64) });
      assert.deepEqual(f, [`Image ${"a".repeat(64)}: name: must be at most 63 characters. Choose a shorter name.`]);
      const r = lifecycle.check(def, undefined, { ...good, logicalName: "x".repeat(80), providerVersion: "0.1.0" });
      assert.ok((r.inputs!.name as string).length <= 63);
    });

    it("skips checks of values unknown at preview, including the registry comparison", () => {
      assert.deepEqual(
        failures(def, {
          ...good,
          tag: UNKNOWN,
          additionalTags: ["127.0.0.1:5001/x/y"],
          builder: UNKNOWN,
          source: { git: { url: UNKNOWN, revision: "main" } },
        }),
        [],
      );
      assert.deepEqual(failures(def, { ...good, additionalTags: [UNKNOWN] }), []);
    });
  });

  describe("manifest", () => {
    it("writes every default the kpack webhook would add, and no cache", () => {
      const o = objectFor(image, good);
      assert.equal(o.metadata?.namespace, "apps");
      assert.deepEqual(o.spec, {
        tag: "127.0.0.1:5000/team/app",
        builder: { kind: "ClusterBuilder", name: "default" },
        serviceAccountName: "default",
        source: { git: { url: "http://127.0.0.1:3000/example/app.git", revision: "main" } },
        failedBuildHistoryLimit: 10,
        successBuildHistoryLimit: 10,
        imageTaggingStrategy: "BuildNumber",
      });
    });

    it("writes what is given as given", () => {
      const build = { env: [{ name: "BP_JVM_VERSION", value: "21" }], resources: { limits: { memory: "2Gi" } }, buildTimeout: 1800 };
      const o = objectFor(image, {
        ...good,
        builder: { kind: "Builder", name: "java" },
        additionalTags: ["127.0.0.1:5000/team/app:stable"],
        serviceAccountName: "builder",
        source: { blob: { url: "http://127.0.0.1:8080/app.tgz", stripComponents: 1 }, subPath: "svc" },
        cache: { registry: { tag: "127.0.0.1:5000/team/app-cache" } },
        failedBuildHistoryLimit: 2,
        successBuildHistoryLimit: 3,
        imageTaggingStrategy: "None",
        build,
        projectDescriptorPath: "deploy/project.toml",
        defaultProcess: "web",
      });
      assert.deepEqual(o.spec, {
        tag: "127.0.0.1:5000/team/app",
        additionalTags: ["127.0.0.1:5000/team/app:stable"],
        builder: { kind: "Builder", name: "java" },
        serviceAccountName: "builder",
        source: { blob: { url: "http://127.0.0.1:8080/app.tgz", stripComponents: 1 }, subPath: "svc" },
        cache: { registry: { tag: "127.0.0.1:5000/team/app-cache" } },
        failedBuildHistoryLimit: 2,
        successBuildHistoryLimit: 3,
        imageTaggingStrategy: "None",
        build,
        projectDescriptorPath: "deploy/project.toml",
        defaultProcess: "web",
      });
    });
  });

  describe("diff", () => {
    const olds = { ...good, logicalName: "app", providerVersion: "0.1.0", name: "app", latestImage: OLD_IMAGE };
    it("replaces on a new tag (kpack's webhook rejects a tag change)", () => {
      const d = lifecycle.diff(def, olds, { ...olds, tag: "127.0.0.1:5000/team/app2" });
      assert.deepEqual(d.replaces, ["tag"]);
      assert.equal(d.deleteBeforeReplace, true);
    });
    it("updates in place for other changes", () => {
      const d = lifecycle.diff(def, olds, {
        ...olds,
        additionalTags: ["127.0.0.1:5000/team/app:stable"],
        source: { git: { url: "http://127.0.0.1:3000/example/app.git", revision: "v2" } },
      });
      assert.equal(d.changes, true);
      assert.deepEqual(d.replaces, []);
    });
  });

  describe("outputs", () => {
    it("reads the result of the last successful build, with its digest", () => {
      const out = image.object.outputs(img(1, succeeded(1, 1, 1, NEW_IMAGE)));
      assert.deepEqual(out, {
        ready: true,
        latestImage: NEW_IMAGE,
        digest: DIGEST_B,
        latestBuildRef: "app-build-1",
        buildCounter: 1,
        latestBuildReason: "CONFIG",
        latestStack: "io.buildpacks.stacks.jammy",
        latestBuildImageGeneration: 1,
        conditions: succeeded(1, 1, 1, NEW_IMAGE).conditions,
      });
    });
    it("has no image or digest while the first build runs", () => {
      const out = image.object.outputs(img(1, running(1, 1, 1)));
      assert.equal(out.latestImage, "");
      assert.equal(out.digest, undefined);
      assert.equal(out.ready, false);
      assert.equal(out.latestBuildRef, "app-build-1");
    });
    it("digestOf takes the part after @", () => {
      assert.equal(digestOf(`127.0.0.1:5000/team/app@${DIGEST_C}`), DIGEST_C);
      assert.equal(digestOf("127.0.0.1:5000/team/app:latest"), undefined);
      assert.equal(digestOf(undefined), undefined);
    });
  });

  describe("wait for a result (kp's algorithm)", () => {
    it("is pending while kpack has not observed the generation written", () => {
      const r = imageWait(img(2, succeeded(1, 1, 1, OLD_IMAGE)), undefined, 2);
      assert.deepEqual(r, { state: "pending", message: "waiting for kpack to observe generation 2 (it has seen 1)" });
      assert.equal(imageWait(img(1, undefined), undefined, 1).state, "pending");
    });

    it("fails with 'updated before processed' when kpack observed a newer generation", () => {
      const r = imageWait(img(3, running(3, 2, 3, OLD_IMAGE)), undefined, 2);
      assert.equal(r.state, "failed");
      assert.match((r as { message: string }).message, /^updated before processed: kpack observed generation 3, but pulumi-kpack wrote generation 2/);
    });

    it("names the Build to watch once kpack made one for the generation", () => {
      assert.equal(buildToWatch(img(2, running(2, 2, 2, OLD_IMAGE)), 2), "app-build-2");
      assert.equal(buildToWatch(img(2, running(1, 1, 1)), 2), undefined, "not observed yet");
      assert.equal(buildToWatch(img(3, succeeded(3, 1, 1, OLD_IMAGE)), 3), undefined, "no build for this generation");
    });

    it("is pending while the Build runs, with its progress", () => {
      const r = imageWait(img(2, running(2, 2, 2, OLD_IMAGE)), buildRunning(2, 2), 2);
      assert.deepEqual(r, { state: "pending", message: "Build app-build-2 is running (steps done: prepare, analyze, detect)", build: "app-build-2" });
      const pulling = imageWait(img(2, running(2, 2, 2, OLD_IMAGE)), buildPulling(2, 2), 2);
      assert.equal(pulling.state, "pending");
      assert.match((pulling as { message: string }).message, /^Build app-build-2 is running: ImagePullBackOff: Back-off pulling image/);
    });

    it("when the Build succeeded, waits for the Image to record its image, then returns it", () => {
      const before = imageWait(img(2, running(2, 2, 2, OLD_IMAGE)), buildSucceeded(2, 2, NEW_IMAGE), 2);
      assert.deepEqual(before, {
        state: "pending",
        message: `Build app-build-2 succeeded; waiting for kpack to record ${NEW_IMAGE} on the Image`,
        build: "app-build-2",
      });
      const after = imageWait(img(2, succeeded(2, 2, 2, NEW_IMAGE)), buildSucceeded(2, 2, NEW_IMAGE), 2);
      assert.deepEqual(after, { state: "ready", latestImage: NEW_IMAGE });
    });

    it("fails with the Build's Succeeded message when the Build failed, and says where the logs are", () => {
      const r = imageWait(img(2, failed(2, 2, 2, OLD_IMAGE)), buildFailed(2, 2), 2);
      assert.deepEqual(r, {
        state: "failed",
        message: `Build app-build-2 failed: Failed: ${BUILD_ERROR}. Build logs: kubectl logs -n apps app-build-2-build-pod --all-containers`,
      });
      // Even before the Image notices.
      assert.equal(imageWait(img(2, running(2, 2, 2, OLD_IMAGE)), buildFailed(2, 2), 2).state, "failed");
    });

    it("fails on Ready=False when no build was made for this generation", () => {
      const status = {
        observedGeneration: 2,
        conditions: [
          {
            type: "Ready",
            status: "False",
            reason: "BuilderNotReady",
            message: "Error: Builder 'java' is not ready in namespace 'apps'; Message: Builder has no latestImage",
            lastTransitionTime: T0,
          },
          {
            type: "BuilderReady",
            status: "False",
            reason: "BuilderNotReady",
            message: "Error: Builder 'java' is not ready in namespace 'apps'; Message: Builder has no latestImage",
            lastTransitionTime: T0,
          },
          {
            type: "BuilderUpToDate",
            status: "False",
            reason: "BuilderNotUpToDate",
            message: "Builder is not up to date. The latest stack and buildpacks may not be in use.",
            lastTransitionTime: T0,
          },
        ],
        latestBuildRef: "app-build-1",
        latestBuildImageGeneration: 1,
        latestImage: OLD_IMAGE,
        buildCounter: 1,
      };
      const r = imageWait(img(2, status), undefined, 2);
      assert.deepEqual(r, {
        state: "failed",
        message: "BuilderNotReady: Error: Builder 'java' is not ready in namespace 'apps'; Message: Builder has no latestImage",
      });
      // BuilderNotFound replaces the conditions only.
      const notFound = imageWait(
        img(1, {
          observedGeneration: 1,
          conditions: [
            {
              type: "Ready",
              status: "False",
              reason: "BuilderNotFound",
              message: "Error: Unable to find builder 'java' in namespace ''.",
              lastTransitionTime: T0,
            },
          ],
        }),
        undefined,
        1,
      );
      assert.deepEqual(notFound, { state: "failed", message: "BuilderNotFound: Error: Unable to find builder 'java' in namespace ''." });
    });

    it("returns the existing image when the change needed no build (kpack starts none for e.g. additionalTags)", () => {
      assert.deepEqual(imageWait(img(3, succeeded(3, 2, 2, NEW_IMAGE)), undefined, 3), { state: "ready", latestImage: NEW_IMAGE });
    });

    it("stays pending on Ready=Unknown with no build for this generation (kp would return the old image)", () => {
      // A build of generation 1 still runs when generation 2 is observed: kpack decides after it ends.
      const r = imageWait(img(2, running(2, 1, 1)), undefined, 2);
      assert.deepEqual(r, { state: "pending", message: "Ready is Unknown (BuildRunning: Build 'app-build-1' is executing)" });
      const resolver = imageWait(
        img(1, {
          observedGeneration: 1,
          conditions: [
            {
              type: "Ready",
              status: "Unknown",
              reason: "ResolverNotReady",
              message: "Error: SourceResolver 'app-source' is not ready",
              lastTransitionTime: T0,
            },
            ...builderOk,
          ],
        }),
        undefined,
        1,
      );
      assert.match((resolver as { message: string }).message, /ResolverNotReady/);
    });

    it("without the Build at hand, follows the Image's Ready condition for the generation's build", () => {
      assert.deepEqual(imageWait(img(2, running(2, 2, 2, OLD_IMAGE)), undefined, 2), {
        state: "pending",
        message: "waiting for Build app-build-2 (BuildRunning: Build 'app-build-2' is executing)",
        build: "app-build-2",
      });
      assert.deepEqual(imageWait(img(2, succeeded(2, 2, 2, NEW_IMAGE)), undefined, 2), { state: "ready", latestImage: NEW_IMAGE });
      const r = imageWait(img(2, failed(2, 2, 2, OLD_IMAGE)), undefined, 2);
      assert.equal(r.state, "failed");
      assert.match(
        (r as { message: string }).message,
        /^BuildFailed: Error: Build 'app-build-2' in namespace 'apps' failed: Error: ERROR: failed to build/,
      );
    });

    it("ignores a Build that is not the one latestBuildRef names", () => {
      const r = imageWait(img(2, running(2, 3, 2, OLD_IMAGE)), buildSucceeded(2, 2, NEW_IMAGE), 2);
      assert.equal(r.state, "pending");
      assert.match((r as { message: string }).message, /app-build-3/);
    });

    it("a newer build for the same generation (e.g. a new commit) is waited for in turn", () => {
      const r = imageWait(img(2, running(2, 3, 2, NEW_IMAGE)), buildRunning(3, 2), 2);
      assert.equal(r.state, "pending");
      assert.equal((r as { build?: string }).build, "app-build-3");
    });
  });
});
