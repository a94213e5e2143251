import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { accessFor, dockerConfigJsonOf, managedServiceAccountName, serviceAccountObjects } from "../../provider/access";
import { builder } from "../../provider/kinds/builder";
import { buildpack } from "../../provider/kinds/buildpack";
import { clusterBuilder } from "../../provider/kinds/cluster-builder";
import { clusterStack } from "../../provider/kinds/cluster-stack";
import { clusterStore } from "../../provider/kinds/cluster-store";
import { companionsOf, OWNER_ANNOTATION } from "../../provider/kind";
import { image } from "../../provider/kinds/image";
import type { KubeObject } from "../../provider/kube/objects";
import { UNKNOWN } from "../../schema/common";
import * as kpack from "../../sdk/index";
import { protectCredentials } from "../../sdk/credentials";
import { failures, objectFor, parsed } from "./fixtures/kpack";

const REG = "127.0.0.1:5000";
// Distinctive values, so a test can tell that they appear nowhere they must not.
const PASSWORD = "pw-Zx81-secret-value";
const TOKEN = "tok-Qm42-secret-value";
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nkey-Jh73-secret-value\n-----END OPENSSH PRIVATE KEY-----\n";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const unb64 = (s: string) => Buffer.from(s, "base64").toString("utf8");
const byKind = (objs: KubeObject[], kind: string) => objs.filter((o) => o.kind === kind);
const named = (objs: KubeObject[], name: string) => objs.find((o) => o.metadata?.name === name)!;
type Secret = KubeObject & { type: string; data: Record<string, string> };

const imageDef = image;
const goodImage = {
  namespace: "apps",
  tag: `${REG}/team/app`,
  builder: { kind: "ClusterBuilder", name: "default" },
  source: { git: { url: "https://127.0.0.1:3000/example/app.git", revision: "main" } },
};

describe("access: the managed ServiceAccount's objects", () => {
  describe("names", () => {
    it("is the given name, or <object name>-<kind> so an Image and a Builder of one name differ", () => {
      assert.equal(managedServiceAccountName("Image", "app-1a2b3c4", { name: "pusher" }), "pusher");
      assert.equal(managedServiceAccountName("Image", "app-1a2b3c4", {}), "app-1a2b3c4-image");
      assert.equal(managedServiceAccountName("Builder", "app-1a2b3c4", {}), "app-1a2b3c4-builder");
    });

    it("shortens a long object name with a hash, stays a valid name and leaves room for Secret names", () => {
      const long = `${"b".repeat(200)}.${"c".repeat(52)}`;
      const n = managedServiceAccountName("ClusterBuilder", long, {});
      assert.ok(n.length <= 230, `${n.length}`);
      assert.match(n, /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
      assert.match(n, /-[0-9a-f]{8}-clusterbuilder$/);
      assert.notEqual(n, managedServiceAccountName("ClusterBuilder", `${"b".repeat(200)}.${"d".repeat(52)}`, {}));
    });
  });

  describe("registry logins", () => {
    const objs = serviceAccountObjects("apps", "pusher", {
      registryCredentials: [
        { registry: REG, username: "ci", password: PASSWORD },
        { registry: "127.0.0.1:5001", username: "other", password: TOKEN },
      ],
    });

    it("become kubernetes.io/basic-auth Secrets annotated kpack.io/docker, then one pull Secret, then SA, Role, RoleBinding", () => {
      assert.deepEqual(
        objs.map((o) => o.kind),
        ["Secret", "Secret", "Secret", "ServiceAccount", "Role", "RoleBinding"],
      );
      const [first, second] = objs as Secret[];
      assert.match(first.metadata!.name!, /^pusher-registry-[0-9a-f]{8}$/);
      assert.notEqual(first.metadata!.name, second.metadata!.name);
      assert.equal(first.metadata!.namespace, "apps");
      assert.equal(first.type, "kubernetes.io/basic-auth");
      assert.deepEqual(first.metadata!.annotations, { "kpack.io/docker": REG });
      assert.deepEqual(first.data, { username: b64("ci"), password: b64(PASSWORD) });
      assert.deepEqual(second.metadata!.annotations, { "kpack.io/docker": "127.0.0.1:5001" });
      assert.equal((objs[0] as { stringData?: unknown }).stringData, undefined, "data only: stringData never reads back");
    });

    it("also make one kubernetes.io/dockerconfigjson Secret for image pulls (the kubelet and kpack's -imagepull read only that type)", () => {
      const pull = named(objs, "pusher-registry-pull") as Secret;
      assert.equal(pull.type, "kubernetes.io/dockerconfigjson");
      const config = JSON.parse(unb64(pull.data[".dockerconfigjson"])) as {
        auths: Record<string, { username: string; password: string; auth: string }>;
      };
      assert.deepEqual(Object.keys(config.auths), [REG, "127.0.0.1:5001"]);
      assert.deepEqual(config.auths[REG], { username: "ci", password: PASSWORD, auth: b64(`ci:${PASSWORD}`) });
    });

    it("are listed on the ServiceAccount: logins in secrets, the pull Secret in imagePullSecrets only; no token is mounted", () => {
      const sa = byKind(objs, "ServiceAccount")[0] as KubeObject & {
        secrets: { name: string }[];
        imagePullSecrets: { name: string }[];
        automountServiceAccountToken: boolean;
      };
      assert.deepEqual(sa.metadata, { name: "pusher", namespace: "apps" });
      assert.deepEqual(
        sa.secrets.map((s) => s.name),
        [objs[0].metadata!.name, objs[1].metadata!.name],
      );
      assert.deepEqual(sa.imagePullSecrets, [{ name: "pusher-registry-pull" }]);
      assert.equal(sa.automountServiceAccountToken, false);
    });

    it("keep their Secret names when the list is reordered (names come from the registry, not the position)", () => {
      const swapped = serviceAccountObjects("apps", "pusher", {
        registryCredentials: [
          { registry: "127.0.0.1:5001", username: "other", password: TOKEN },
          { registry: REG, username: "ci", password: PASSWORD },
        ],
      });
      assert.deepEqual(new Set(byKind(swapped, "Secret").map((s) => s.metadata!.name)), new Set(byKind(objs, "Secret").map((s) => s.metadata!.name)));
    });
  });

  it("binds the ServiceAccount to a Role with no rules (the build pod needs no API access)", () => {
    const objs = serviceAccountObjects("apps", "pusher", {});
    assert.deepEqual(
      objs.map((o) => o.kind),
      ["ServiceAccount", "Role", "RoleBinding"],
    );
    const sa = objs[0] as KubeObject & { secrets?: unknown; imagePullSecrets?: unknown };
    assert.equal(sa.secrets, undefined);
    assert.equal(sa.imagePullSecrets, undefined);
    assert.deepEqual(objs[1], {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "pusher", namespace: "apps" },
      rules: [],
    });
    assert.deepEqual(objs[2], {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "pusher", namespace: "apps" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "pusher" },
      subjects: [{ kind: "ServiceAccount", name: "pusher", namespace: "apps" }],
    });
  });

  it("turns a docker config.json into a kubernetes.io/dockerconfigjson Secret in both secrets and imagePullSecrets", () => {
    const json = dockerConfigJsonOf([{ registry: REG, username: "ci", password: PASSWORD }]);
    const objs = serviceAccountObjects("apps", "pusher", { dockerConfigJson: json });
    const s = named(objs, "pusher-dockerconfig") as Secret;
    assert.equal(s.type, "kubernetes.io/dockerconfigjson");
    assert.equal(s.metadata!.annotations, undefined, "kpack needs no annotation on docker-config Secrets");
    assert.equal(unb64(s.data[".dockerconfigjson"]), json);
    const sa = byKind(objs, "ServiceAccount")[0] as KubeObject & { secrets: unknown; imagePullSecrets: unknown };
    assert.deepEqual(sa.secrets, [{ name: "pusher-dockerconfig" }]);
    assert.deepEqual(sa.imagePullSecrets, [{ name: "pusher-dockerconfig" }]);
  });

  it("turns git logins into basic-auth or ssh-auth Secrets annotated kpack.io/git", () => {
    const objs = serviceAccountObjects("apps", "pusher", {
      gitCredentials: [
        { url: "https://127.0.0.1:3000", username: "git-user", password: TOKEN },
        { url: "git@127.0.0.1", sshPrivateKey: KEY, knownHosts: "127.0.0.1 ssh-ed25519 AAAA" },
        { url: "git@localhost", sshPrivateKey: KEY },
      ],
    });
    const [https, ssh, sshNoHosts] = byKind(objs, "Secret") as Secret[];
    assert.equal(https.type, "kubernetes.io/basic-auth");
    assert.deepEqual(https.metadata!.annotations, { "kpack.io/git": "https://127.0.0.1:3000" });
    assert.deepEqual(https.data, { username: b64("git-user"), password: b64(TOKEN) });
    assert.equal(ssh.type, "kubernetes.io/ssh-auth");
    assert.deepEqual(ssh.metadata!.annotations, { "kpack.io/git": "git@127.0.0.1" });
    assert.deepEqual(ssh.data, { "ssh-privatekey": b64(KEY), known_hosts: b64("127.0.0.1 ssh-ed25519 AAAA") });
    assert.deepEqual(Object.keys(sshNoHosts.data), ["ssh-privatekey"]);
    assert.match(https.metadata!.name!, /^pusher-git-[0-9a-f]{8}$/);
    const sa = byKind(objs, "ServiceAccount")[0] as KubeObject & { secrets: unknown[]; imagePullSecrets?: unknown };
    assert.equal(sa.secrets.length, 3);
    assert.equal(sa.imagePullSecrets, undefined, "git Secrets are no pull secrets");
  });

  it("turns blob credentials into Secrets annotated kpack.io/blob holding only the form given", () => {
    const objs = serviceAccountObjects("apps", "pusher", {
      blobCredentials: [
        { host: "127.0.0.1", bearer: TOKEN },
        { host: "localhost", username: "u", password: PASSWORD },
      ],
    });
    const [bearer, basic] = byKind(objs, "Secret") as Secret[];
    assert.deepEqual(bearer.metadata!.annotations, { "kpack.io/blob": "127.0.0.1" });
    assert.deepEqual(bearer.data, { bearer: b64(TOKEN) });
    assert.equal(bearer.type, "Opaque");
    assert.deepEqual(basic.data, { username: b64("u"), password: b64(PASSWORD) });
  });

  it("puts a cluster-scoped kind's ServiceAccount in the namespace given", () => {
    const r = accessFor({ kind: "ClusterBuilder", name: "default", namespace: "" }, undefined, {
      namespace: "kpack",
      registryCredentials: [{ registry: REG, username: "ci", password: PASSWORD }],
    });
    assert.equal(r.name, "default-clusterbuilder");
    assert.deepEqual(new Set(r.objects.map((o) => o.metadata!.namespace)), new Set(["kpack"]));
  });

  it("makes nothing for an existing ServiceAccount or none", () => {
    assert.deepEqual(accessFor({ kind: "Image", name: "app", namespace: "apps" }, "pusher", undefined), { name: "pusher", objects: [] });
    assert.deepEqual(accessFor({ kind: "Image", name: "app", namespace: "apps" }, undefined, undefined), { name: "default", objects: [] });
  });
});

describe("access: Image and Builder inputs", () => {
  const creds = { registryCredentials: [{ registry: REG, username: "ci", password: PASSWORD }] };

  it("writes the managed ServiceAccount's name into the Image and makes it a companion, labelled and owned", () => {
    const obj = objectFor(imageDef, { ...goodImage, managedServiceAccount: creds });
    assert.equal((obj.spec as { serviceAccountName: string }).serviceAccountName, "obj-image");
    const args = parsed(image, { ...goodImage, managedServiceAccount: creds });
    const companions = companionsOf(image.object, args, "Image apps/obj");
    assert.deepEqual(
      companions.map((c) => c.kind),
      ["Secret", "Secret", "ServiceAccount", "Role", "RoleBinding"],
    );
    for (const c of companions) {
      assert.equal(c.metadata?.labels?.["app.kubernetes.io/managed-by"], "pulumi-kpack");
      assert.equal(c.metadata?.annotations?.[OWNER_ANNOTATION], "Image apps/obj");
      assert.equal(c.metadata?.namespace, "apps");
    }
    assert.equal(companions[0].metadata?.annotations?.["kpack.io/docker"], REG, "the kind's own annotations stay");
  });

  it("keeps serviceAccountName as it was, with no companions", () => {
    const obj = objectFor(imageDef, { ...goodImage, serviceAccountName: "pusher" });
    assert.equal((obj.spec as { serviceAccountName: string }).serviceAccountName, "pusher");
    assert.deepEqual(companionsOf(image.object, parsed(image, goodImage), "Image apps/obj"), []);
  });

  it("gives a Builder a managed ServiceAccount with registry credentials", () => {
    const obj = objectFor(builder, {
      namespace: "apps",
      tag: `${REG}/builders/java`,
      stack: "base",
      order: [{ group: [{ id: "paketo-buildpacks/java" }] }],
      managedServiceAccount: { name: "builder-push", ...creds },
    });
    assert.equal((obj.spec as { serviceAccountName: string }).serviceAccountName, "builder-push");
  });

  describe("validation names the field, the problem and the fix, and never quotes a credential", () => {
    const f = (news: Record<string, unknown>) => failures(imageDef, { ...goodImage, ...news }).join("\n");
    const noSecretIn = (text: string) => {
      for (const v of [PASSWORD, TOKEN, "key-Jh73"]) assert.ok(!text.includes(v), `a credential leaked into: ${text}`);
      return text;
    };

    it("accepts every credential form", () => {
      assert.equal(
        f({
          source: { blob: { url: "http://127.0.0.1:8080/app.tgz", auth: "secret" } },
          managedServiceAccount: {
            name: "pusher",
            ...creds,
            dockerConfigJson: dockerConfigJsonOf(creds.registryCredentials),
            gitCredentials: [
              { url: "https://127.0.0.1:3000", username: "u", password: TOKEN },
              { url: "git@127.0.0.1", sshPrivateKey: KEY },
            ],
            blobCredentials: [{ host: "127.0.0.1", bearer: TOKEN }],
          },
        }),
        "",
      );
      assert.equal(f({ managedServiceAccount: {} }), "", "an identity without credentials is allowed");
    });

    it("refuses serviceAccountName together with managedServiceAccount", () => {
      assert.match(
        f({ serviceAccountName: "pusher", managedServiceAccount: creds }),
        /managedServiceAccount: must not be given together with serviceAccountName: .*Keep one/,
      );
    });

    it("names missing and empty credential fields", () => {
      const t = noSecretIn(
        f({
          managedServiceAccount: {
            registryCredentials: [
              { registry: REG, username: "ci" },
              { registry: "", username: "x", password: PASSWORD },
            ],
          },
        }),
      );
      assert.match(t, /managedServiceAccount\.registryCredentials\[0\]\.password: is required: the registry password or access token/);
      assert.match(t, /managedServiceAccount\.registryCredentials\[1\]\.registry: must not be empty/);
    });

    it("refuses the same registry twice, and keys nobody knows", () => {
      const t = noSecretIn(
        f({
          managedServiceAccount: {
            registryCredentials: [
              { registry: REG, username: "a", password: PASSWORD },
              { registry: REG, username: "b", password: TOKEN },
            ],
          },
        }),
      );
      assert.match(t, /registryCredentials\[1\]: repeats the registry of registryCredentials\[0\]\. Give each registry once/);
      assert.match(
        noSecretIn(f({ managedServiceAccount: { registryCredentials: [{ registry: REG, username: "a", pasword: PASSWORD }] } })),
        /registryCredentials\[0\]\.pasword: is not a field of managedServiceAccount\.registryCredentials\[0\]: did you mean password\?/,
      );
    });

    it("refuses a git entry that mixes HTTPS and SSH, or whose url does not fit its form", () => {
      assert.match(
        noSecretIn(f({ managedServiceAccount: { gitCredentials: [{ url: "git@127.0.0.1", username: "u", password: TOKEN, sshPrivateKey: KEY }] } })),
        /gitCredentials\[0\]\.sshPrivateKey: must not be given together with username\/password/,
      );
      assert.match(
        noSecretIn(f({ managedServiceAccount: { gitCredentials: [{ url: "git@127.0.0.1", username: "u", password: TOKEN }] } })),
        /gitCredentials\[0\]\.url: must start with https:\/\//,
      );
      assert.match(
        noSecretIn(f({ managedServiceAccount: { gitCredentials: [{ url: "https://127.0.0.1:3000", sshPrivateKey: KEY }] } })),
        /gitCredentials\[0\]\.url: must be an SSH location/,
      );
      assert.match(
        f({ managedServiceAccount: { gitCredentials: [{ url: "https://127.0.0.1:3000" }] } }),
        /gitCredentials\[0\]: must give username and password \(HTTPS\) or sshPrivateKey \(SSH\)/,
      );
      assert.match(
        noSecretIn(f({ managedServiceAccount: { gitCredentials: [{ url: "https://127.0.0.1:3000", password: TOKEN }] } })),
        /gitCredentials\[0\]\.username: is required with password/,
      );
    });

    it("refuses blob credentials with two forms, a host with a port, or a source that never uses them", () => {
      const blob = { source: { blob: { url: "http://127.0.0.1:8080/app.tgz", auth: "secret" } } };
      assert.match(
        noSecretIn(
          f({ ...blob, managedServiceAccount: { blobCredentials: [{ host: "127.0.0.1", bearer: TOKEN, username: "u", password: PASSWORD }] } }),
        ),
        /blobCredentials\[0\]: gives username\/password and bearer, but kpack allows only one per host/,
      );
      assert.match(
        f({ ...blob, managedServiceAccount: { blobCredentials: [{ host: "127.0.0.1:8080", bearer: TOKEN }] } }),
        /blobCredentials\[0\]\.host: must be a bare host name/,
      );
      assert.match(
        f({ managedServiceAccount: { blobCredentials: [{ host: "127.0.0.1", bearer: TOKEN }] } }),
        /managedServiceAccount\.blobCredentials: are used only for a source\.blob/,
      );
      assert.match(
        f({
          source: { blob: { url: "http://127.0.0.1:8080/app.tgz" } },
          managedServiceAccount: { blobCredentials: [{ host: "127.0.0.1", bearer: TOKEN }] },
        }),
        /blobCredentials: are used by kpack only when source\.blob\.auth is "secret"\. Set source\.blob\.auth to "secret"/,
      );
    });

    it("refuses a docker config.json that is not one, without quoting it", () => {
      assert.match(
        noSecretIn(f({ managedServiceAccount: { dockerConfigJson: `{"auths": {"${REG}": {"password": "${PASSWORD}"` } })),
        /dockerConfigJson: must be the JSON of a docker config\.json, but is not valid JSON/,
      );
      assert.match(
        noSecretIn(f({ managedServiceAccount: { dockerConfigJson: `{"password": "${PASSWORD}"}` } })),
        /dockerConfigJson: must be a docker config\.json with an "auths" object/,
      );
    });

    it("checks at apply what is unknown at preview", () => {
      assert.equal(
        f({
          managedServiceAccount: { registryCredentials: [{ registry: UNKNOWN, username: UNKNOWN, password: UNKNOWN }], dockerConfigJson: UNKNOWN },
        }),
        "",
      );
      assert.equal(f({ managedServiceAccount: UNKNOWN }), "");
    });

    it("has no git or blob credentials on a Builder (kpack fetches no source for it)", () => {
      const t = failures(builder, {
        tag: `${REG}/builders/java`,
        stack: "base",
        order: [{ group: [{ id: "paketo-buildpacks/java" }] }],
        managedServiceAccount: { gitCredentials: [] },
      }).join("\n");
      assert.match(
        t,
        /managedServiceAccount\.gitCredentials: is not a field of managedServiceAccount \(it takes name, registryCredentials, dockerConfigJson\)/,
      );
    });
  });
});

describe("access: cluster-scoped kinds and Buildpack", () => {
  const creds = { registryCredentials: [{ registry: REG, username: "ci", password: PASSWORD }] };
  const store = { sources: [{ image: `${REG}/buildpacks/java:18` }] };

  it("points serviceAccountRef at a managed ServiceAccount in the namespace given, and makes it there", () => {
    const obj = objectFor(clusterStore, { ...store, managedServiceAccount: { namespace: "kpack", ...creds } });
    assert.deepEqual((obj.spec as { serviceAccountRef: unknown }).serviceAccountRef, { name: "obj-clusterstore", namespace: "kpack" });
    const companions = companionsOf(
      clusterStore.object,
      parsed(clusterStore, { ...store, managedServiceAccount: { namespace: "kpack", ...creds } }),
      "ClusterStore obj",
    );
    assert.deepEqual(companions.map((c) => `${c.kind} ${c.metadata?.namespace}/${c.metadata?.name}`).slice(-3), [
      "ServiceAccount kpack/obj-clusterstore",
      "Role kpack/obj-clusterstore",
      "RoleBinding kpack/obj-clusterstore",
    ]);
    const stack = objectFor(clusterStack, {
      stackId: "io.buildpacks.stacks.jammy",
      buildImage: `${REG}/stacks/build:1`,
      runImage: `${REG}/stacks/run:1`,
      managedServiceAccount: { name: "puller", namespace: "kpack", ...creds },
    });
    assert.deepEqual((stack.spec as { serviceAccountRef: unknown }).serviceAccountRef, { name: "puller", namespace: "kpack" });
  });

  it("requires the namespace, and refuses serviceAccountRef with managedServiceAccount", () => {
    assert.match(
      failures(clusterStore, { ...store, managedServiceAccount: creds }).join("\n"),
      /managedServiceAccount\.namespace: is required: the namespace of the ServiceAccount/,
    );
    assert.match(
      failures(clusterStore, { ...store, serviceAccountRef: { name: "sa", namespace: "kpack" }, managedServiceAccount: { namespace: "kpack" } }).join(
        "\n",
      ),
      /managedServiceAccount: must not be given together with serviceAccountRef/,
    );
    assert.deepEqual(
      companionsOf(clusterStore.object, parsed(clusterStore, store), "ClusterStore obj"),
      [],
      "no ServiceAccount asked for, none made",
    );
  });

  it("lets a ClusterBuilder use a managed ServiceAccount instead of serviceAccountRef, and still requires one of them", () => {
    const cb = { tag: `${REG}/builders/default`, stack: "base", order: [{ group: [{ id: "paketo-buildpacks/java" }] }] };
    const obj = objectFor(clusterBuilder, { ...cb, managedServiceAccount: { namespace: "kpack", ...creds } });
    assert.deepEqual((obj.spec as { serviceAccountRef: unknown }).serviceAccountRef, { name: "obj-clusterbuilder", namespace: "kpack" });
    assert.match(failures(clusterBuilder, cb).join("\n"), /serviceAccountRef: is required: .* or give managedServiceAccount/);
  });

  it("gives a Buildpack a managed ServiceAccount in its namespace", () => {
    const obj = objectFor(buildpack, { namespace: "apps", image: `${REG}/buildpacks/go:1`, managedServiceAccount: creds });
    assert.equal((obj.spec as { serviceAccountName: string }).serviceAccountName, "obj-buildpack");
  });
});

/** Compile-time checks of the public arg types (tsc builds this; never called: it would create resources). */
export function typedUsage(token: pulumi.Output<string>): void {
  new kpack.Image("app", {
    tag: `${REG}/team/app`,
    builder: { kind: "ClusterBuilder", name: "default" },
    source: { git: { url: "git@127.0.0.1:team/app.git", revision: "main" } },
    managedServiceAccount: {
      registryCredentials: [{ registry: REG, username: "ci", password: token }],
      gitCredentials: [{ url: "git@127.0.0.1", sshPrivateKey: token }],
    },
  });
  const order = [{ group: [{ id: "paketo-buildpacks/java" }] }];
  new kpack.ClusterBuilder("a", { tag: `${REG}/b`, stack: "base", order, managedServiceAccount: { namespace: "kpack", dockerConfigJson: token } });
  // @ts-expect-error a ClusterBuilder takes serviceAccountRef or managedServiceAccount, not both
  new kpack.ClusterBuilder("b", {
    tag: `${REG}/b`,
    stack: "base",
    order,
    serviceAccountRef: { name: "b", namespace: "kpack" },
    managedServiceAccount: { namespace: "kpack" },
  });
  // @ts-expect-error a Builder's managed ServiceAccount holds registry credentials only
  new kpack.Builder("c", { tag: `${REG}/b`, stack: "base", order, managedServiceAccount: { gitCredentials: [] } });
  // @ts-expect-error a cluster-scoped kind's managed ServiceAccount needs a namespace
  new kpack.ClusterStore("d", { sources: [{ image: `${REG}/bp:1` }], managedServiceAccount: { registryCredentials: [] } });
}

describe("access: the SDK marks every credential secret", () => {
  const isSecret = (v: unknown) => (pulumi.Output.isInstance(v) ? pulumi.isSecret(v) : Promise.resolve(false));

  it("wraps username, password, keys and tokens, and the docker config.json; leaves registry, url and host readable", async () => {
    const p = protectCredentials({
      name: "pusher",
      registryCredentials: [{ registry: REG, username: "ci", password: PASSWORD }],
      dockerConfigJson: "{}",
      gitCredentials: [{ url: "git@127.0.0.1", sshPrivateKey: KEY, knownHosts: "h" }],
      blobCredentials: [{ host: "127.0.0.1", bearer: TOKEN, authorization: "a" }],
    }) as Record<string, unknown>;
    const reg = (p.registryCredentials as Record<string, unknown>[])[0];
    const git = (p.gitCredentials as Record<string, unknown>[])[0];
    const blob = (p.blobCredentials as Record<string, unknown>[])[0];
    for (const v of [reg.username, reg.password, p.dockerConfigJson, git.sshPrivateKey, blob.bearer, blob.authorization])
      assert.equal(await isSecret(v), true);
    for (const v of [p.name, reg.registry, git.url, git.knownHosts, blob.host]) assert.equal(typeof v, "string");
  });

  it("makes a credential list given as an Output secret as a whole", async () => {
    const p = protectCredentials({ registryCredentials: pulumi.output([{ registry: REG, username: "ci", password: PASSWORD }]) }) as Record<
      string,
      unknown
    >;
    assert.equal(await isSecret(p.registryCredentials), true);
  });
});
