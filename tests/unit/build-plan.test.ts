import * as assert from "node:assert/strict";
import { describeImageChange, IMAGE_INPUTS_BY_EFFECT } from "../../provider/kinds/image/build-plan";
import type { Props } from "../../provider/values";
import { UNKNOWN } from "../../schema/common";
import { image } from "../../schema/image";

/**
 * What preview says an Image change will build, as a pure function of the
 * stored state (inputs and outputs) and the new checked inputs, after kpack
 * v0.17.2's build_required.go: which spec changes start a build, and why.
 */

const inputs: Props = {
  logicalName: "app",
  providerVersion: "0.1.0",
  name: "app-3f1c2a9",
  autoNamed: true,
  namespace: "apps",
  tag: "127.0.0.1:5000/team/app",
  builder: { kind: "ClusterBuilder", name: "default" },
  source: { git: { url: "http://127.0.0.1:3000/team/app.git", revision: "main" } },
  triggerBuild: "1",
};
// The stored state: the inputs and the outputs after build #3.
const olds: Props = {
  ...inputs,
  ready: true,
  buildCounter: 3,
  latestBuildRef: "app-build-3",
  latestImage: "127.0.0.1:5000/team/app@sha256:" + "a".repeat(64),
};
const plan = (change: Props, from: Props = olds) => describeImageChange(from, { ...inputs, ...change });

describe("Image build plan (what preview says)", () => {
  it("a new Image builds #1; a replacing change too", () => {
    assert.equal(describeImageChange(undefined, inputs), "will build #1: a new Image");
    assert.equal(describeImageChange(undefined, { ...inputs, skipAwait: true }), "will build #1: a new Image (skipAwait: not waited for)");
    assert.equal(plan({ tag: "127.0.0.1:5000/team/app2" }), "will build #1: tag changed, which replaces the Image");
    assert.equal(plan({ namespace: "other", name: "x" }), "will build #1: name and namespace changed, which replaces the Image");
  });

  it("source and build config changes build with reason CONFIG, naming the field", () => {
    assert.equal(
      plan({ source: { git: { url: "http://127.0.0.1:3000/team/other.git", revision: "main" } } }),
      "will build #4: CONFIG (source.git.url)",
    );
    assert.equal(plan({ source: { blob: { url: "http://127.0.0.1:8080/app.tgz" } } }), "will build #4: CONFIG (source)");
    assert.equal(
      plan({ source: { git: { url: "http://127.0.0.1:3000/team/app.git", revision: "main" }, subPath: "svc" } }),
      "will build #4: CONFIG (source.subPath)",
    );
    assert.equal(plan({ build: { env: [{ name: "BP_JVM_VERSION", value: "21" }] } }), "will build #4: CONFIG (build.env)");
    assert.equal(
      plan({ build: { resources: { limits: { memory: "2Gi" } }, services: [{ kind: "Secret", name: "db" }] } }),
      "will build #4: CONFIG (build.resources, build.services)",
    );
  });

  it("a git revision change builds with reason COMMIT unless it resolves to the commit already built", () => {
    assert.equal(
      plan({ source: { git: { url: "http://127.0.0.1:3000/team/app.git", revision: "v2" } } }),
      "may build #4: COMMIT (source.git.revision), unless the new revision is the commit already built",
    );
  });

  it("changes kpack builds nothing for take effect at the next build", () => {
    assert.equal(
      plan({ additionalTags: ["127.0.0.1:5000/team/app:stable"] }),
      "no build: additionalTags take effect at the next build (change triggerBuild to build now)",
    );
    assert.equal(
      plan({ serviceAccountName: "ci" }),
      "no build: serviceAccountName takes effect at the next build (change triggerBuild to build now)",
    );
    assert.equal(
      plan({ cache: { volume: { size: "2G" } }, failedBuildHistoryLimit: 3, imageTaggingStrategy: "None" }),
      "no build: cache, failedBuildHistoryLimit and imageTaggingStrategy take effect at the next build (change triggerBuild to build now)",
    );
    assert.equal(
      plan({ build: { nodeSelector: { pool: "builds" }, buildTimeout: 600 } }),
      "no build: build.nodeSelector and build.buildTimeout take effect at the next build (change triggerBuild to build now)",
    );
    assert.equal(
      plan({ defaultProcess: "web", projectDescriptorPath: "ci/project.toml" }),
      "no build: projectDescriptorPath and defaultProcess take effect at the next build (change triggerBuild to build now)",
    );
  });

  it("a builder change builds (kpack's own build, or one pulumi-kpack asks for), unless opted out", () => {
    assert.equal(plan({ builder: { kind: "Builder", name: "java" } }), "will build #4: builder changed");
    assert.equal(
      plan({ builder: { kind: "Builder", name: "java" }, rebuildOnBuilderChange: false }),
      "may build #4: builder changed, unless the new builder has the buildpacks, stack and lifecycle of the last build (kpack #1198; rebuildOnBuilderChange is false)",
    );
    assert.match(
      plan({ builder: { kind: "Builder", name: "java" }, skipAwait: true })!,
      /^may build #4: builder changed, unless .*skipAwait is set, so pulumi-kpack asks for none\)$/,
    );
  });

  it("a triggerBuild change builds with reason TRIGGER; combined reasons go in kpack's order, with what the build also applies", () => {
    assert.equal(plan({ triggerBuild: "2" }), "will build #4: TRIGGER (triggerBuild)");
    assert.equal(
      plan({
        triggerBuild: "2",
        source: { blob: { url: "http://127.0.0.1:8080/app.tgz" } },
        builder: { kind: "Builder", name: "java" },
        additionalTags: ["127.0.0.1:5000/team/app:stable"],
      }),
      "will build #4: TRIGGER,CONFIG (triggerBuild, source), builder changed; it also applies additionalTags",
    );
    assert.equal(
      plan({ triggerBuild: "2", skipAwait: true }),
      "no build: triggerBuild asks for no build while skipAwait is set (pulumi-kpack asks only while it waits)",
    );
    assert.equal(plan({ triggerBuild: undefined }), "no build: triggerBuild removed (only a new value asks for a build)");
  });

  it("values not known until apply make it 'may build'", () => {
    assert.equal(
      plan({ source: { git: { url: UNKNOWN, revision: "main" } } }),
      "may build #4: CONFIG (source.git.url): source.git.url is known only at apply",
    );
    assert.equal(plan({ source: UNKNOWN }), "may build #4: CONFIG (source): source is known only at apply");
    assert.equal(plan({ source: UNKNOWN, triggerBuild: "2" }), "will build #4: TRIGGER,CONFIG (triggerBuild, source)");
    assert.equal(
      plan({ build: UNKNOWN }, { ...olds, build: { env: [{ name: "A", value: "1" }], buildTimeout: 60 } }),
      "may build #4: CONFIG (build): build is known only at apply",
    );
    assert.equal(plan({ builder: UNKNOWN }), "may build #4: builder changed: builder is known only at apply");
  });

  it("settings of pulumi-kpack alone build nothing; no change says nothing", () => {
    assert.equal(
      plan({ timeoutSeconds: 600, providerVersion: "0.2.0" }),
      "no build: only pulumi-kpack settings changed (timeoutSeconds and providerVersion)",
    );
    assert.equal(plan({}), undefined);
  });

  it("without a build counter (never waited for) it names no number", () => {
    const { buildCounter: _, ...noCounter } = olds;
    assert.equal(plan({ build: { env: [{ name: "A", value: "1" }] } }, noCounter), "will build: CONFIG (build.env)");
  });

  it("knows what every Image input does", () => {
    const told = new Set<string>(Object.values(IMAGE_INPUTS_BY_EFFECT).flat());
    assert.deepEqual(
      image.keys.filter((k) => !told.has(k)),
      [],
    );
  });
});
