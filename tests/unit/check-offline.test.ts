import * as assert from "node:assert/strict";
import { clusterStack } from "../../provider/kinds/cluster-stack";
import { image } from "../../provider/kinds/image";
import { setStackAccess } from "../../provider/kube/client";
import { check } from "../../provider/lifecycle";
import type { Props } from "../../provider/values";
import { UNKNOWN } from "../../schema/common";
import { blobUrlProblem, gitUrlProblem } from "../../schema/image";

/**
 * What check() finds at preview without a cluster: a kubeconfig (input or
 * stack config) that does not parse, a context it does not have, blob and git
 * URLs kpack could not fetch. Each failure names the field and the fix and
 * never quotes kubeconfig contents or a URL (they may hold credentials).
 */

const TOKEN = "SECRET-TOKEN-4f1c";
const kubeconfig = (contexts: string[], current = contexts[0]) =>
  [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: local",
    "  cluster: {server: https://127.0.0.1:6443}",
    "contexts:",
    ...contexts.map((c) => `- name: ${c}\n  context: {cluster: local, user: admin}`),
    ...(current ? [`current-context: ${current}`] : []),
    "users:",
    "- name: admin",
    `  user: {token: ${TOKEN}}`,
    "",
  ].join("\n");

const stack = {
  logicalName: "base",
  providerVersion: "0.1.0",
  stackId: "io.buildpacks.stacks.jammy",
  buildImage: "127.0.0.1:5000/stacks/build:1",
  runImage: "127.0.0.1:5000/stacks/run:1",
};

function failures(news: Props): Array<{ property: string; reason: string }> {
  return check(clusterStack, undefined, { ...stack, ...news }).failures ?? [];
}

describe("check: cluster access, offline", () => {
  afterEach(() => setStackAccess({}));

  it("accepts a kubeconfig input and a context it has", () => {
    assert.deepEqual(failures({ kubeconfig: kubeconfig(["dev", "prod"]), context: "prod" }), []);
    assert.deepEqual(failures({ kubeconfig: kubeconfig(["dev"]) }), []);
  });

  it("refuses a kubeconfig input that is not YAML, naming the field and the fix, quoting none of it", () => {
    const broken = `apiVersion: v1\nusers:\n- name: u\n  user:\n    token: ${TOKEN}\n  : [unbalanced\n`;
    const f = failures({ kubeconfig: broken });
    assert.equal(f.length, 1);
    assert.equal(f[0].property, "kubeconfig");
    assert.match(
      f[0].reason,
      /^ClusterStack base-[0-9a-f]{7}: kubeconfig: cannot be read as a kubeconfig \(.+\)\. Give the contents of a kubeconfig file, not its path/,
    );
    assert.doesNotMatch(f[0].reason, new RegExp(TOKEN));
  });

  it("refuses a kubeconfig input that is a path rather than contents", () => {
    const f = failures({ kubeconfig: "/home/me/.kube/config" });
    assert.equal(f.length, 1);
    assert.match(
      f[0].reason,
      /kubeconfig: is not a kubeconfig: it has no clusters and no contexts\. Give the contents of a kubeconfig file, not its path/,
    );
  });

  it("refuses a context input the kubeconfig does not have, listing those it has", () => {
    const f = failures({ kubeconfig: kubeconfig(["dev", "prod"]), context: "staging" });
    assert.equal(f.length, 1);
    assert.equal(f[0].property, "context");
    assert.match(
      f[0].reason,
      /context: the kubeconfig input has no context "staging" \(it has: dev, prod\)\. Set context to a context the kubeconfig has, or leave it out/,
    );
  });

  it("refuses a context whose cluster the kubeconfig does not have", () => {
    const config = kubeconfig(["dev"]).replace("- name: local\n", "- name: elsewhere\n");
    const f = failures({ kubeconfig: config, context: "dev" });
    assert.equal(f.length, 1);
    assert.match(
      f[0].reason,
      /: context: context "dev" of the kubeconfig input names cluster "local", which the kubeconfig does not have\. Set context to a context/,
    );
  });

  it("refuses a kubeconfig whose current-context names no cluster when no context is given", () => {
    const f = failures({ kubeconfig: kubeconfig(["dev"], "gone") });
    assert.equal(f.length, 1);
    assert.match(f[0].reason, /kubeconfig: its current-context "gone" names no cluster it has\. Give a context \(one of: dev\)/);
  });

  it("checks the stack config kpack:kubeconfig and kpack:context, naming the config keys and how to set them", () => {
    setStackAccess({ kubeconfig: `clusters: [unbalanced\n  token: ${TOKEN}` });
    const broken = failures({});
    assert.equal(broken.length, 1);
    assert.match(
      broken[0].reason,
      /: stack config kpack:kubeconfig: cannot be read as a kubeconfig \(.+\)\. Set it to a kubeconfig file's contents: pulumi config set --secret kpack:kubeconfig/,
    );
    assert.doesNotMatch(broken[0].reason, new RegExp(TOKEN));

    setStackAccess({ kubeconfig: kubeconfig(["dev"]), context: "prod" });
    const ctx = failures({});
    assert.equal(ctx.length, 1);
    assert.match(
      ctx[0].reason,
      /: stack config kpack:context: the kubeconfig in stack config kpack:kubeconfig has no context "prod" \(it has: dev\)\. Set it to a context the kubeconfig has \(pulumi config set kpack:context <name>\)/,
    );
  });

  it("checks a context input against the stack's kubeconfig, and ignores the stack's context for a kubeconfig input", () => {
    setStackAccess({ kubeconfig: kubeconfig(["dev"]), context: "prod" });
    assert.match(failures({ context: "qa" })[0].reason, /: context: the kubeconfig in stack config kpack:kubeconfig has no context "qa"/);
    assert.deepEqual(failures({ context: "dev" }), []);
    // As kube() does: a kubeconfig given as input comes with its own current context.
    assert.deepEqual(failures({ kubeconfig: kubeconfig(["local"]) }), []);
  });

  it("skips values not known at preview", () => {
    assert.deepEqual(failures({ kubeconfig: UNKNOWN, context: "anything" }), []);
    assert.deepEqual(failures({ kubeconfig: kubeconfig(["dev"]), context: UNKNOWN }), []);
  });

  it("leaves a kubeconfig from KUBECONFIG or ~/.kube/config to the provider at run time", () => {
    assert.deepEqual(failures({ context: "whatever" }), []);
  });
});

describe("check: source URLs kpack can fetch", () => {
  const img = {
    logicalName: "app",
    providerVersion: "0.1.0",
    namespace: "apps",
    tag: "127.0.0.1:5000/team/app",
    builder: { kind: "ClusterBuilder", name: "default" },
  };
  const reasons = (source: unknown) => (check(image, undefined, { ...img, source }).failures ?? []).map((f) => f.reason);

  it("takes blob URLs over http and https only, naming the field and giving an example", () => {
    assert.deepEqual(reasons({ blob: { url: "http://127.0.0.1:8080/app.tgz" } }), []);
    assert.deepEqual(reasons({ blob: { url: "https://127.0.0.1:8443/src/app.zip?sig=x" } }), []);
    const [notUrl] = reasons({ blob: { url: "not-a-url" } });
    assert.match(
      notUrl,
      /^Image apps\/app-[0-9a-f]{7}: source\.blob\.url: must be an http:\/\/ or https:\/\/ URL of a zip or tar archive, e\.g\. https:\/\/\S+\/app\.tgz\.$/,
    );
    assert.match(
      reasons({ blob: { url: "ftp://127.0.0.1/app.tgz" } })[0],
      /source\.blob\.url: must be an http:\/\/ or https:\/\/ URL \(kpack downloads the archive over HTTP\), not ftp:/,
    );
    assert.match(reasons({ blob: { url: "file:///srv/app.tgz" } })[0], /not file:/);
    assert.deepEqual(reasons({ blob: { url: UNKNOWN } }), []);
  });

  it("takes the git URL forms kpack clones from", () => {
    for (const url of [
      "https://127.0.0.1:3000/team/app.git",
      "http://127.0.0.1:3000/team/app",
      "ssh://git@127.0.0.1/team/app.git",
      "ssh://git@127.0.0.1:2222/team/app.git",
      "git@127.0.0.1:team/app.git",
      "gitea:team/app.git",
      "git://127.0.0.1/team/app.git",
      UNKNOWN,
    ]) {
      assert.deepEqual(reasons({ git: { url, revision: "main" } }), [], url);
    }
  });

  it("refuses git URLs kpack would read as a local path or cannot clone, saying which forms it takes", () => {
    const cases: Array<[string, RegExp]> = [
      ["127.0.0.1/team/app.git", /without a scheme it is a local path/],
      ["/srv/git/app.git", /without a scheme it is a local path/],
      ["file:///srv/git/app.git", /not a file:\/\/ URL/],
      ["ftp://127.0.0.1/app.git", /has the scheme "ftp", which kpack cannot clone from/],
      ["https:/127.0.0.1/team/app.git", /mistyped ":\/\/"/],
      ["https://", /names no host/],
    ];
    for (const [url, why] of cases) {
      const r = reasons({ git: { url, revision: "main" } });
      assert.equal(r.length, 1, url);
      assert.match(r[0], /^Image apps\/app-[0-9a-f]{7}: source\.git\.url: /, url);
      assert.match(r[0], why, url);
      assert.match(r[0], /Use one of: https:\/\/\S+, http:\/\/\S+, ssh:\/\/\S+, git@\S+:team\/app\.git or git:\/\/\S+\.$/, url);
    }
  });

  it("never quotes the URL (it may carry a token)", () => {
    for (const problem of [
      gitUrlProblem(`htps://ci:${TOKEN}@127.0.0.1/app.git`),
      blobUrlProblem(`ftp://ci:${TOKEN}@127.0.0.1/app.tgz`),
      blobUrlProblem(`${TOKEN} not a url`),
    ]) {
      assert.ok(problem);
      assert.doesNotMatch(problem, new RegExp(TOKEN));
    }
  });
});
