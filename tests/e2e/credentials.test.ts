import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import * as kpack from "../../sdk";
import { testEnv, TestEnv } from "../../devenv/test-env";
import type { KpackEnv } from "../../devenv/kpack-env";
import { buildImage, filesDir } from "../../devenv/imagetool";
import { getManifest } from "../../devenv/registry";

type Obj = k8s.KubernetesObject & { spec?: Record<string, unknown>; type?: string; [k: string]: unknown };
const KPACK = "kpack.io/v1alpha2";
const RBAC = "rbac.authorization.k8s.io/v1";

/**
 * Issue 5, RBAC and service accounts, end to end: a real `pulumi up` whose
 * Builder and Image push to the password-protected local registry with
 * credentials pulumi-kpack turns into a managed ServiceAccount; the same
 * without credentials fails naming the Image and the 401; the password never
 * reaches the checkpoint or the CLI output; the identity may do nothing in the
 * API; a second up changes nothing; destroy removes every object made for it.
 */
describe("managed credentials: pulumi up against the password-protected registry", function () {
  let env: TestEnv;
  let kp: KpackEnv;
  let objects: k8s.KubernetesObjectApi;
  let authz: k8s.AuthorizationV1Api;
  let ns: string;
  let sourceUrl: string;

  async function read(apiVersion: string, kind: string, name: string, namespace?: string): Promise<Obj | undefined> {
    try {
      return await objects.read<Obj>({ apiVersion, kind, metadata: { name, namespace } });
    } catch (e) {
      if ((e as { code?: number }).code === 404) return undefined;
      throw e;
    }
  }

  /** What the apiserver's authorizer answers for a ServiceAccount (as the admin asking). */
  async function may(namespace: string, serviceAccount: string, attrs: k8s.V1ResourceAttributes): Promise<boolean> {
    const review = await authz.createSubjectAccessReview({
      body: {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SubjectAccessReview",
        spec: {
          user: `system:serviceaccount:${namespace}:${serviceAccount}`,
          groups: ["system:serviceaccounts", `system:serviceaccounts:${namespace}`, "system:authenticated"],
          resourceAttributes: attrs,
        },
      },
    });
    return review.status?.allowed === true;
  }

  before(async () => {
    env = await testEnv();
    kp = await env.kpack();
    objects = k8s.KubernetesObjectApi.makeApiClient(env.kubeConfig);
    authz = env.kubeConfig.makeApiClient(k8s.AuthorizationV1Api);
    ns = await env.namespace("e2e-creds");
    const src = filesDir(path.join(env.cluster.workDir, "kpack"), "e2e-creds-source", { "index.html": "<h1>private</h1>\n" });
    const pushed = await buildImage({ layers: [{ dir: src }], tags: [`${kp.registry.host}/pulumi-kpack/e2e-creds-source:1`] });
    const manifest = JSON.parse((await getManifest(pushed.ref)).body ?? "{}") as { layers: Array<{ digest: string }> };
    sourceUrl = `${kp.registry.url}/v2/pulumi-kpack/e2e-creds-source/blobs/${manifest.layers[0].digest}`;
  });

  it("builds with managed credentials, keeps them secret, grants the identity nothing, fails clearly without them, and destroys it all", async () => {
    const img = kp.images;
    const auth = kp.authRegistry.host;
    const creds = kp.authRegistry.auth!;
    const secretForms = [
      creds.password,
      Buffer.from(creds.password).toString("base64"),
      Buffer.from(`${creds.username}:${creds.password}`).toString("base64"),
    ];
    const cliOutput: string[] = [];
    const onOutput = (s: string) => cliOutput.push(s);
    // The program reads it at run time: a preview below changes it to check the diff.
    let password = creds.password;
    // Set later to rename the Image's ServiceAccount (an update that must delete the old identity).
    let accountName: string | undefined;
    const appTag = `${auth}/${ns}/app`;

    const program = async () => {
      const login = [{ registry: auth, username: creds.username, password }];
      const stack = new kpack.ClusterStack("stack", { stackId: img.stackId, buildImage: img.buildImage, runImage: img.runImage });
      const store = new kpack.ClusterStore("store", { sources: [{ image: img.buildpacks[0].image }] });
      const lifecycle = new kpack.ClusterLifecycle("lifecycle", { image: img.lifecycleImage });
      // Both push to the protected registry: the Builder through kpack's controller, the Image through its build pod.
      const builder = new kpack.Builder("builder", {
        namespace: ns,
        tag: `${auth}/${ns}/builder`,
        stack,
        store,
        lifecycle,
        order: [{ group: [{ id: img.buildpacks[0].id }] }],
        managedServiceAccount: { registryCredentials: login },
      });
      const app = new kpack.Image("app", {
        namespace: ns,
        tag: appTag,
        builder,
        source: { blob: { url: sourceUrl } },
        managedServiceAccount: { ...(accountName ? { name: accountName } : {}), registryCredentials: login },
      });
      return {
        latestImage: app.latestImage,
        imageName: app.name,
        builderName: builder.name,
        builderImage: builder.latestImage,
        names: { stack: stack.name, store: store.name, lifecycle: lifecycle.name },
      };
    };
    const stack = await env.pulumi.stack("creds", "dev", program);
    let denied: Awaited<ReturnType<TestEnv["pulumi"]["stack"]>> | undefined;
    try {
      const up = await stack.up({ onOutput });
      const out = Object.fromEntries(Object.entries(up.outputs).map(([k, v]) => [k, v.value])) as Record<string, unknown>;
      const imageName = String(out.imageName);
      const builderName = String(out.builderName);
      const sa = `${imageName}-image`;

      // The image is where the tag says, served only with the credentials.
      const served = await getManifest(`${appTag}:latest`, creds);
      assert.equal(served.status, 200);
      assert.equal(out.latestImage, `${appTag}@${served.digest}`);
      assert.equal((await getManifest(`${appTag}:latest`)).status, 401, "the registry refuses anonymous reads");
      assert.match(String(out.builderImage), new RegExp(`^${auth.replace(/[.]/g, "\\.")}/${ns}/builder(:[\\w.-]+)?@sha256:[0-9a-f]{64}$`));

      // The Image and the Builder use their managed ServiceAccounts.
      assert.equal((await read(KPACK, "Image", imageName, ns))?.spec?.serviceAccountName, sa);
      assert.equal((await read(KPACK, "Builder", builderName, ns))?.spec?.serviceAccountName, `${builderName}-builder`);
      const account = (await read("v1", "ServiceAccount", sa, ns))!;
      assert.equal(account.automountServiceAccountToken, false);
      assert.equal(account.metadata?.labels?.["app.kubernetes.io/managed-by"], "pulumi-kpack");
      const listed = (account.secrets as { name: string }[]).map((s) => s.name);
      assert.deepEqual(
        (account.imagePullSecrets as { name: string }[]).map((s) => s.name),
        [`${sa}-registry-pull`],
      );
      assert.equal(listed.length, 1);
      const login = (await read("v1", "Secret", listed[0], ns))!;
      assert.equal(login.type, "kubernetes.io/basic-auth");
      assert.equal(login.metadata?.annotations?.["kpack.io/docker"], auth);
      assert.equal((await read("v1", "Secret", `${sa}-registry-pull`, ns))?.type, "kubernetes.io/dockerconfigjson");

      // ServiceAccount → RoleBinding → Role, and the Role grants nothing.
      const binding = (await read(RBAC, "RoleBinding", sa, ns))!;
      // The client returns model classes: compare their JSON.
      const plain = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;
      assert.deepEqual(plain(binding.roleRef), { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: sa });
      assert.deepEqual(plain(binding.subjects), [{ kind: "ServiceAccount", name: sa, namespace: ns }]);
      assert.deepEqual(plain((await read(RBAC, "Role", sa, ns))?.rules ?? []), []);
      // What the authorizer says: not even its own Secret (the build pod's buildpacks would get it), nothing cluster-wide, no pods.
      assert.equal(await may(ns, sa, { verb: "get", resource: "secrets", namespace: ns, name: listed[0] }), false);
      assert.equal(await may(ns, sa, { verb: "list", resource: "secrets" }), false);
      assert.equal(await may(ns, sa, { verb: "create", resource: "pods", namespace: ns }), false);
      assert.equal(await may(ns, sa, { verb: "get", resource: "serviceaccounts", namespace: ns, name: sa }), false);
      // A control: the same question for kpack's controller is answered yes, so the "no"s above are the authorizer's.
      assert.equal(await may("kpack", "controller", { verb: "get", resource: "secrets", namespace: ns, name: listed[0] }), true);

      // A password change shows in preview as a change of a secret, never as text.
      password = "rotated-" + creds.password.split("").reverse().join("");
      await stack.preview({ diff: true, onOutput });
      secretForms.push(password);
      password = creds.password;

      // No change: nothing applied again, the identity's objects untouched.
      const identity = async () =>
        Promise.all(
          [
            read("v1", "ServiceAccount", sa, ns),
            read("v1", "Secret", listed[0], ns),
            read("v1", "Secret", `${sa}-registry-pull`, ns),
            read(RBAC, "Role", sa, ns),
            read(RBAC, "RoleBinding", sa, ns),
          ].map(async (p) => (await p)?.metadata?.resourceVersion),
        );
      const before = await identity();
      await stack.preview({ expectNoChanges: true, onOutput });
      const again = await stack.up({ onOutput });
      assert.deepEqual(again.summary.resourceChanges, { same: 6 });
      assert.deepEqual(await identity(), before, "the second up wrote to the ServiceAccount, its Secrets or its RBAC");

      // Renamed, the identity moves: the Image uses the new ServiceAccount; the old one, its Secrets and RBAC are gone.
      accountName = "app-pusher";
      const renamed = await stack.up({ onOutput });
      assert.deepEqual(renamed.summary.resourceChanges, { same: 5, update: 1 });
      assert.equal((await read(KPACK, "Image", imageName, ns))?.spec?.serviceAccountName, "app-pusher");
      const moved = (await read("v1", "ServiceAccount", "app-pusher", ns))!;
      assert.equal((moved.secrets as { name: string }[]).length, 1);
      for (const [apiVersion, kind, name] of [
        ["v1", "ServiceAccount", sa],
        ["v1", "Secret", listed[0]],
        ["v1", "Secret", `${sa}-registry-pull`],
        [RBAC, "Role", sa],
        [RBAC, "RoleBinding", sa],
      ] as const) {
        assert.equal(await read(apiVersion, kind, name, ns), undefined, `${kind} ${name} is left after the rename`);
      }
      const movedSecrets = [...(moved.secrets as { name: string }[]), ...(moved.imagePullSecrets as { name: string }[])].map((s) => s.name);

      // The same Image without credentials: the build fails (build-init finds it cannot write the tag), and the error says which Image, why and what to do.
      denied = await env.pulumi.stack("creds-denied", "dev", async () => {
        const names = out.names as Record<string, string>;
        const builder = new kpack.Builder("open-builder", {
          namespace: ns,
          tag: `${kp.registry.host}/${ns}/open-builder`,
          stack: names.stack,
          store: names.store,
          lifecycle: names.lifecycle,
          order: [{ group: [{ id: img.buildpacks[0].id }] }],
        });
        const app = new kpack.Image("denied", {
          namespace: ns,
          tag: `${auth}/${ns}/denied`,
          builder,
          source: { blob: { url: sourceUrl } },
          managedServiceAccount: {},
        });
        return { imageName: app.name };
      });
      let message = "";
      await denied.up({ onOutput }).catch((e: Error) => (message = e.message));
      assert.match(message, new RegExp(`Image ${ns}/denied-[0-9a-f]{7}: .*(401|unauthorized)`, "i"));
      assert.match(
        message,
        new RegExp(`refused the credentials of ServiceAccount ${ns}/denied-[0-9a-f]{7}-image.*managedServiceAccount\\.registryCredentials`),
      );
      await denied.destroy({ onOutput });
      const left = await objects.list("v1", "ServiceAccount", ns);
      assert.deepEqual(
        left.items.map((o) => o.metadata?.name).filter((n) => n?.startsWith("denied-")),
        [],
        "destroy left the denied Image's ServiceAccount",
      );

      // Neither the checkpoints nor anything pulumi printed holds the password, in any encoding.
      const states = [env.pulumi.rawState("creds", "dev"), env.pulumi.rawState("creds-denied", "dev")];
      assert.ok(states[0].includes("pulumi-nodejs:dynamic/kpack:Image"), "the checkpoint holds the Image");
      assert.ok(states[0].includes("registryCredentials"), "the checkpoint holds the managedServiceAccount input");
      const printed = cliOutput.join("");
      assert.ok(printed.length > 0 && /registryCredentials|managedServiceAccount/.test(printed), "the preview diff printed the credentials' place");
      for (const form of secretForms) {
        for (const [where, text] of [
          ["checkpoint", states[0]],
          ["denied checkpoint", states[1]],
          ["CLI output", printed],
        ] as const) {
          assert.ok(!text.includes(form), `the ${where} holds a credential in plain text or base64`);
        }
      }

      await stack.destroy({ onOutput });
      for (const [apiVersion, kind, name] of [
        ["v1", "ServiceAccount", "app-pusher"],
        ...movedSecrets.map((n) => ["v1", "Secret", n] as const),
        [RBAC, "Role", "app-pusher"],
        [RBAC, "RoleBinding", "app-pusher"],
        ["v1", "ServiceAccount", `${builderName}-builder`],
        [RBAC, "Role", `${builderName}-builder`],
      ] as const) {
        assert.equal(await read(apiVersion, kind, name, ns), undefined, `${kind} ${name} is left after destroy`);
      }
      const ours = await objects.list("v1", "Secret", ns, undefined, undefined, undefined, undefined, "app.kubernetes.io/managed-by=pulumi-kpack");
      assert.deepEqual(
        ours.items.map((s) => s.metadata?.name),
        [],
        "Secrets made by pulumi-kpack are left after destroy",
      );
    } finally {
      await denied?.destroy().catch(() => undefined);
      await stack.destroy().catch(() => undefined);
    }
  });

  it("never takes over a ServiceAccount it did not make, and writes nothing when refusing", async () => {
    await objects.create({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "taken", namespace: ns } });
    const creds = kp.authRegistry.auth!;
    const stack = await env.pulumi.stack("creds-clash", "dev", async () => {
      new kpack.Buildpack("bp", {
        namespace: ns,
        image: kp.images.buildpacks[0].image,
        managedServiceAccount: {
          name: "taken",
          registryCredentials: [{ registry: kp.authRegistry.host, username: creds.username, password: creds.password }],
        },
      });
      return {};
    });
    try {
      let message = "";
      await stack.up().catch((e: Error) => (message = e.message));
      assert.match(
        message,
        new RegExp(
          `Buildpack ${ns}/bp-[0-9a-f]{7}: it needs ServiceAccount ${ns}/taken, which already exists and was not made by pulumi-kpack\\. Give this resource's ServiceAccount another name`,
        ),
      );
      const sa = (await read("v1", "ServiceAccount", "taken", ns))!;
      assert.equal(sa.metadata?.labels, undefined, "the existing ServiceAccount was changed");
      assert.equal(sa.secrets, undefined);
      const secrets = await objects.list("v1", "Secret", ns, undefined, undefined, undefined, undefined, "app.kubernetes.io/managed-by=pulumi-kpack");
      assert.deepEqual(
        secrets.items.map((s) => s.metadata?.name).filter((n) => n?.startsWith("taken-")),
        [],
        "Secrets were written before the refusal",
      );
      const buildpacks = await objects.list(KPACK, "Buildpack", ns);
      assert.deepEqual(
        buildpacks.items.map((b) => b.metadata?.name),
        [],
        "the Buildpack was created anyway",
      );
    } finally {
      await stack.destroy().catch(() => undefined);
    }
  });
});
