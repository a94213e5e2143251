import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as kpack from "../../sdk";
import { testEnv, TestEnv } from "../../devenv/test-env";

/**
 * Issue 10, item 5: secret scans. Every credential kind of
 * managedServiceAccount (registry password, dockerConfigJson, git password,
 * SSH key, blob bearer, authorization and password) and the kubeconfig (as the
 * `kubeconfig` input and as stack config kpack:kubeconfig) are looked for in
 * the raw checkpoint, the serialized provider in it (`__provider`), the CLI
 * output and the output of `pulumi up -v=9 --logtostderr`, in plain text,
 * base64 and base64 of user:password. Each scanned text must be non-empty and
 * hold a non-secret value given beside the secrets, so no scan passes on an
 * empty or unrelated text.
 */
describe("secret scans: credentials and kubeconfigs reach no checkpoint, log or output", function () {
  let env: TestEnv;
  let ns: string;

  before(async () => {
    env = await testEnv();
    await env.kpack();
    ns = await env.namespace("e2e-secrets");
  });

  it("finds no credential in any form in the checkpoint, the serialized provider, the CLI output or the -v=9 logs", async () => {
    const rand = () => crypto.randomBytes(12).toString("hex");
    const s = {
      registryPassword: `regpw-${rand()}`,
      dockerPassword: `dockerpw-${rand()}`,
      gitPassword: `gitpw-${rand()}`,
      sshKey: `-----BEGIN OPENSSH PRIVATE KEY-----\nsshkey${rand()}${rand()}\n-----END OPENSSH PRIVATE KEY-----\n`,
      blobBearer: `bearer-${rand()}`,
      blobAuthorization: `Token auth-${rand()}`,
      blobPassword: `blobpw-${rand()}`,
    };
    const users = { registry: `reguser-${rand()}`, docker: `dockeruser-${rand()}`, git: `gituser-${rand()}`, blob: `blobuser-${rand()}` };
    const dockerConfigJson = JSON.stringify({
      auths: { "127.0.0.1:5016": { auth: Buffer.from(`${users.docker}:${s.dockerPassword}`).toString("base64") } },
    });
    // Two admin kubeconfigs of their own, each with a client key nothing else has.
    const inputKubeconfig = env.cluster.userKubeconfig("secret-scan-input", ["system:masters"]);
    const configKubeconfig = env.cluster.userKubeconfig("secret-scan-config", ["system:masters"]);
    // Non-secret values beside the secrets: each scanned text must hold some of them.
    const MARK = {
      registry: "127.0.0.1:5011",
      gitHttps: "https://127.0.0.1:5012",
      gitSsh: "git@127.0.0.1",
      blobUrl: "http://127.0.0.1:9/scan-app.tgz",
      env: `marker-${rand()}`,
    };

    const secretForms: Array<[string, string]> = [];
    const add = (what: string, value: string, user?: string) => {
      secretForms.push([what, value], [`${what} (base64)`, Buffer.from(value).toString("base64")]);
      if (user) secretForms.push([`${what} (base64 user:password)`, Buffer.from(`${user}:${value}`).toString("base64")]);
    };
    add("registry password", s.registryPassword, users.registry);
    add("dockerConfigJson", dockerConfigJson);
    add("dockerConfigJson password", s.dockerPassword, users.docker);
    add("git password", s.gitPassword, users.git);
    add("ssh key", s.sshKey);
    add("ssh key material", s.sshKey.split("\n")[1]);
    add("blob bearer", s.blobBearer);
    add("blob authorization", s.blobAuthorization);
    add("blob password", s.blobPassword, users.blob);
    for (const [what, text] of [
      ["kubeconfig input", inputKubeconfig],
      ["kpack:kubeconfig", configKubeconfig],
    ] as const) {
      add(what, text);
      const keyData = (JSON.parse(text) as { users: Array<{ user: Record<string, string> }> }).users[0].user["client-key-data"];
      secretForms.push([`${what} client-key-data`, keyData]);
      // A line of the key's PEM body: the key material itself, however it is re-encoded around it.
      secretForms.push([`${what} key material`, Buffer.from(keyData, "base64").toString("utf8").split("\n")[1]]);
    }
    assert.ok(
      secretForms.every(([, v]) => v.length >= 16),
      "every secret form is long enough not to occur by chance",
    );

    let registryPassword = s.registryPassword;
    const program = async () => {
      // Through the kubeconfig input.
      new kpack.ClusterStack("via-input", {
        stackId: "io.buildpacks.stacks.jammy",
        buildImage: "127.0.0.1:5000/stacks/build:1",
        runImage: "127.0.0.1:5000/stacks/run:1",
        kubeconfig: inputKubeconfig,
        skipAwait: true,
      });
      // Through stack config kpack:kubeconfig, with every credential kind.
      const app = new kpack.Image("creds", {
        namespace: ns,
        tag: `${MARK.registry}/team/app`,
        builder: { kind: "ClusterBuilder", name: "absent" },
        source: { blob: { url: MARK.blobUrl, auth: "secret" } },
        build: { env: [{ name: "MARKER", value: MARK.env }] },
        skipAwait: true,
        managedServiceAccount: {
          registryCredentials: [{ registry: MARK.registry, username: users.registry, password: registryPassword }],
          dockerConfigJson,
          gitCredentials: [
            { url: MARK.gitHttps, username: users.git, password: s.gitPassword },
            { url: MARK.gitSsh, sshPrivateKey: s.sshKey },
          ],
          // Blob credentials take bare host names, one entry each: the third form goes on a second Image.
          blobCredentials: [
            { host: "127.0.0.1", bearer: s.blobBearer },
            { host: "localhost", authorization: s.blobAuthorization },
          ],
        },
      });
      new kpack.Image("creds-2", {
        namespace: ns,
        tag: `${MARK.registry}/team/app-2`,
        builder: { kind: "ClusterBuilder", name: "absent" },
        source: { blob: { url: MARK.blobUrl, auth: "secret" } },
        skipAwait: true,
        managedServiceAccount: { blobCredentials: [{ host: "127.0.0.1", username: users.blob, password: s.blobPassword }] },
      });
      return { imageName: app.name };
    };
    const stack = await env.pulumi.stack("secret-scan", "dev", program);
    const cli: string[] = [];
    const verboseOut: string[] = [];
    const verboseErr: string[] = [];
    try {
      await stack.setConfig("kpack:kubeconfig", { value: configKubeconfig, secret: true });
      await stack.preview({ diff: true, onOutput: (t) => cli.push(t) });
      const up = await stack.up({
        diff: true,
        logVerbosity: 9,
        logToStdErr: true,
        onOutput: (t) => verboseOut.push(t),
        onError: (t) => verboseErr.push(t),
      });
      assert.deepEqual(up.summary.resourceChanges, { create: 4 });
      // A password change shows in a diff, never as text.
      registryPassword = `rotated-${s.registryPassword}`;
      add("rotated registry password", registryPassword, users.registry);
      await stack.preview({ diff: true, onOutput: (t) => cli.push(t) });
      registryPassword = s.registryPassword;
      await stack.refresh({ onOutput: (t) => cli.push(t) });

      const checkpoint = env.pulumi.rawState("secret-scan", "dev");
      const state = JSON.parse(checkpoint) as {
        checkpoint: { latest: { resources: Array<{ type: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> }> } };
      };
      const resources = state.checkpoint.latest.resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/kpack:"));
      assert.equal(resources.length, 3, "the checkpoint holds the three resources");
      const providers = resources.flatMap((r) => [r.inputs?.__provider, r.outputs?.__provider]).filter((p): p is string => typeof p === "string");
      assert.equal(providers.length, 6, "every resource's inputs and outputs hold the serialized provider");
      const providerText = providers.join("\n");
      // At -v=9 the Pulumi engine traces every RPC's property values ("Marshaling/Unmarshaling property for
      // RPC[…]"), and @pulumi/pulumi's language runtime logs each RegisterResource response, secrets in plain
      // text, before and after pulumi-kpack sees them (README "Credentials"). Those trace lines are Pulumi's own;
      // every other line, the provider's included, is scanned.
      const ENGINE_TRACE =
        /"msg":"(eventSink::Debug\(<\{%reset%\}>)?(Marshaling property for RPC|Unmarshaling property for RPC|RegisterResource RPC finished)/;
      const verboseLines = verboseErr.join("").split("\n");
      const traced = verboseLines.filter((l) => ENGINE_TRACE.test(l));
      const verboseRest = verboseLines.filter((l) => !ENGINE_TRACE.test(l)).join("\n");
      assert.ok(traced.length > 0 && verboseRest.length > 0, "the -v=9 log has the engine's RPC traces and other lines");
      assert.ok(
        traced.some((l) => l.includes(s.registryPassword)),
        "the engine's trace is where Pulumi itself logs the secrets (if this fails, Pulumi stopped: drop the exclusion)",
      );
      const texts: Array<[string, string, string[]]> = [
        // Git and blob credential entries are stored as secrets whole; the registry host stays beside its password.
        ["checkpoint", checkpoint, [MARK.registry, MARK.blobUrl, MARK.env, "ciphertext"]],
        ["serialized provider", providerText, ["pulumi-kpack"]],
        ["CLI output", cli.join(""), [MARK.registry, MARK.blobUrl, MARK.env, "[secret]"]],
        ["pulumi up -v=9 stdout", verboseOut.join(""), [MARK.env, "[secret]"]],
        ["pulumi up -v=9 --logtostderr stderr, but the engine's RPC traces", verboseRest, ["creds", "via-input", "Provider[", MARK.registry]],
      ];
      if (process.env.PULUMI_KPACK_DUMP_SCANS)
        for (const [where, text] of texts) (await import("node:fs")).writeFileSync(`/tmp/secret-scan-${where.replace(/\W+/g, "-")}.txt`, text);
      const lacking = texts.flatMap(([where, text, markers]) => [
        ...(text.length ? [] : [`the ${where} is empty`]),
        ...markers.filter((m) => !text.includes(m)).map((m) => `the ${where} lacks ${m}`),
      ]);
      assert.deepEqual(lacking, [], "every scanned text holds the non-secret values given beside the secrets");
      const found: string[] = [];
      for (const [where, text] of texts) for (const [what, form] of secretForms) if (text.includes(form)) found.push(`${what} in the ${where}`);
      assert.deepEqual(found, []);
    } finally {
      if (process.env.PULUMI_KPACK_DUMP_SCANS) {
        const fs = await import("node:fs");
        fs.writeFileSync("/tmp/secret-scan-verbose-err.log", verboseErr.join(""));
        fs.writeFileSync("/tmp/secret-scan-cli.log", cli.join("") + verboseOut.join(""));
      }
      await stack.destroy().catch(() => undefined);
      await stack.workspace.removeStack("dev", { force: true }).catch(() => undefined);
    }
  });

  it("a check failure in a field holding credentials prints the field, never the credentials", async () => {
    const rand = () => crypto.randomBytes(12).toString("hex");
    const password = `regpw-${rand()}`;
    const token = `kubetoken-${rand()}`;
    const forms = [
      password,
      Buffer.from(password).toString("base64"),
      Buffer.from(`user-1:${password}`).toString("base64"),
      token,
      Buffer.from(token).toString("base64"),
    ];
    let which: "credentials" | "kubeconfig" = "credentials";
    const stack = await env.pulumi.stack("secret-scan-bad", "dev", async () => {
      if (which === "credentials") {
        new kpack.Image("leaky", {
          namespace: ns,
          tag: "127.0.0.1:5011/team/app",
          builder: { kind: "ClusterBuilder", name: "absent" },
          source: { blob: { url: "http://127.0.0.1:9/app.tgz", auth: "secret" } },
          // The mistake is beside the password: a blob host with a port.
          managedServiceAccount: {
            registryCredentials: [{ registry: "127.0.0.1:5011", username: "user-1", password }],
            blobCredentials: [{ host: "127.0.0.1:80", bearer: password }],
          },
        });
      } else {
        // A kubeconfig that does not parse, holding a token.
        new kpack.ClusterStack("leaky", {
          stackId: "io.buildpacks.stacks.jammy",
          buildImage: "127.0.0.1:5000/stacks/build:1",
          runImage: "127.0.0.1:5000/stacks/run:1",
          kubeconfig: `apiVersion: v1\nusers:\n- name: u\n  user:\n    token: ${token}\n  : [unbalanced\n`,
        });
      }
      return {};
    });
    try {
      for (const [w, field] of [
        ["credentials", "managedServiceAccount.blobCredentials[0].host: must be a bare host name"],
        ["kubeconfig", "kubeconfig: cannot be read as a kubeconfig"],
      ] as const) {
        which = w;
        const out: string[] = [];
        const err: string[] = [];
        let message = "";
        await stack.preview({ diff: true, onOutput: (t) => out.push(t), onError: (t) => err.push(t) }).then(
          () => assert.fail(`the preview with bad ${w} succeeded`),
          (e: Error) => (message = e.message),
        );
        const text = [message, ...out, ...err].join("\n");
        assert.ok(text.includes(`leaky`) && text.includes(field), `the failure names the field:\n${text}`);
        assert.deepEqual(
          forms.filter((f) => text.includes(f)).map(() => `a secret of the ${w} case`),
          [],
          `the failure prints a secret:\n${text}`,
        );
      }
    } finally {
      await stack.workspace.removeStack("dev", { force: true }).catch(() => undefined);
    }
  });
});
