import * as assert from "node:assert/strict";
import { HttpMethod, RequestContext } from "@kubernetes/client-node";
import { kube } from "../../provider/kube/client";

describe("cluster access errors", () => {
  it("do not quote a broken kubeconfig's contents (they hold keys and tokens)", () => {
    const broken =
      "apiVersion: v1\nusers:\n- name: u\n  user:\n    token: SECRET-TOKEN-VALUE\n    client-key-data: SECRET-KEY-DATA\n  : [unbalanced\n";
    assert.throws(
      () => kube({ kubeconfig: broken }),
      (e: Error) => {
        assert.match(e.message, /^Cannot read the kubeconfig given in the kubeconfig input/);
        assert.doesNotMatch(e.message, /SECRET/);
        return true;
      },
    );
  });
});

describe("connections", () => {
  const kubeconfig = (user: string) =>
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:6443', insecure-skip-tls-verify: true}}]",
      `users: [{name: u, user: ${user}}]`,
      "contexts: [{name: x, context: {cluster: c, user: u}}]",
      "current-context: x",
    ].join("\n");
  const dispatchers = async (text: string, n: number) => {
    const { config } = kube({ kubeconfig: text });
    const out: unknown[] = [];
    for (let i = 0; i < n; i++) {
      const ctx = new RequestContext("https://127.0.0.1:6443/api", HttpMethod.GET);
      await config.applySecurityAuthentication(ctx);
      assert.ok(ctx.getDispatcher(), "each request has a dispatcher");
      out.push(ctx.getDispatcher());
    }
    return out;
  };

  it("share one agent per client when the kubeconfig's credentials are static (client-node makes one per request)", async () => {
    const ds = await dispatchers(kubeconfig("{token: abc}"), 3);
    assert.equal(new Set(ds).size, 1);
  });

  it("still carry each request's credentials in its headers", async () => {
    const { config } = kube({ kubeconfig: kubeconfig("{token: per-request}") });
    for (let i = 0; i < 2; i++) {
      const ctx = new RequestContext("https://127.0.0.1:6443/api", HttpMethod.GET);
      await config.applySecurityAuthentication(ctx);
      assert.equal(ctx.getHeaders().Authorization, "Bearer per-request");
    }
  });

  it("keep client-node's agent per request for an exec plugin, whose client certificate may rotate", () => {
    const { config } = kube({ kubeconfig: kubeconfig("{exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/false}}") });
    assert.equal(Object.prototype.hasOwnProperty.call(config, "applySecurityAuthentication"), false, "no shared agent for an exec user");
  });
});
