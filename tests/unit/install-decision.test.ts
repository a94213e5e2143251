import * as assert from "node:assert/strict";
import { compareVersions, hookDecision, parseManifest, validateManifest, versionOfDeployment } from "../../provider/install/manifest";

describe("install: hookDecision", () => {
  it("installs when neither CRDs nor controller exist", () => {
    assert.equal(hookDecision({ crds: false, controller: false }, "0.17.2").action, "install");
  });
  it("does nothing when the hooks installed the same or a newer version", () => {
    assert.equal(hookDecision({ crds: true, controller: true, version: "0.17.2", installer: "hook" }, "0.17.2").action, "none");
    assert.equal(hookDecision({ crds: true, controller: true, version: "0.18.0", installer: "hook" }, "0.17.2").action, "none");
  });
  it("upgrades an older installation the hooks made", () => {
    const d = hookDecision({ crds: true, controller: true, version: "0.16.1", installer: "hook" }, "0.17.2");
    assert.deepEqual(d, { action: "upgrade", reason: "upgrading kpack 0.16.1 to 0.17.2" });
  });
  it("never touches an installation a KpackInstallation owns, even an older one", () => {
    assert.equal(hookDecision({ crds: true, controller: true, version: "0.16.1", installer: "installation" }, "0.17.2").action, "none");
  });
  it("leaves someone else's older installation alone, with a warning that says how to take it over", () => {
    const d = hookDecision({ crds: true, controller: true, version: "0.16.1" }, "0.17.2");
    assert.equal(d.action, "leave");
    assert.match((d as { warning: string }).warning, /installed by someone else.*KpackInstallation/);
  });
  it("leaves CRDs without a controller alone and says objects will not become ready", () => {
    const d = hookDecision({ crds: true, controller: false }, "0.17.2");
    assert.equal(d.action, "leave");
    assert.match((d as { warning: string }).warning, /no kpack-controller Deployment/);
  });
});

describe("install: versions and manifests", () => {
  it("compares versions numerically", () => {
    assert.equal(compareVersions("0.9.0", "0.17.2"), -1);
    assert.equal(compareVersions("v0.17.2", "0.17.2"), 0);
    assert.equal(compareVersions("0.18.0", "0.17.10"), 1);
  });
  it("reads the version from the controller pod template's version label", () => {
    assert.equal(
      versionOfDeployment({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "kpack-controller" },
        spec: { template: { metadata: { labels: { version: "0.17.2" } } } },
      }),
      "0.17.2",
    );
  });
  it("rejects YAML that is not a kpack release, naming what is missing", () => {
    const objects = parseManifest("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kpack\n", "test.yaml");
    assert.throws(
      () => validateManifest(objects, "test.yaml"),
      /not a kpack release: it has no Deployment kpack-controller, CustomResourceDefinition images.kpack.io/,
    );
  });
  it("names the document that is not a Kubernetes object", () => {
    assert.throws(
      () => parseManifest("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\nfoo: bar\n", "x.yaml"),
      /document 2 is not a Kubernetes object/,
    );
  });
  it("reports unparsable YAML with its source", () => {
    assert.throws(() => parseManifest("a: [b\n", "http://127.0.0.1:9/release.yaml"), /from http:\/\/127.0.0.1:9\/release.yaml is not valid YAML/);
  });
});
