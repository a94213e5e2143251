import * as assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import * as kpack from "../../sdk";
import { testEnv } from "../../devenv/test-env";
import { Cluster, startCluster } from "../../devenv/control-plane";
import { KpackEnv, startKpack } from "../../devenv/kpack-env";
import { pulumiEnv, PulumiEnv } from "../../devenv/pulumi";
import { sourceBlob } from "../../devenv/examples";
import { getManifest } from "../../devenv/registry";
import { kpackImageTag, loopbackImages, renderKpackManifest, toYaml } from "../../devenv/kpack-manifest";
import { kpackConfigDir } from "../../devenv/kpack";
import { ensureBinary, kpackBinary } from "../../devenv/binaries";
import { metricsText, requestCounts } from "../../devenv/metrics";
import { versions } from "../../devenv/versions";
import { freePort, waitFor } from "../../devenv/processes";

/**
 * Issue 5, installation: a cluster of its own with no kpack. The release
 * manifest is served on loopback; the first resource's hook installs it; the
 * test environment then runs the controller as a kubelet would run its
 * Deployment. KpackInstallation takes over and uninstalls.
 */
describe("kpack installation from the resource hooks and KpackInstallation", function () {
  let cluster: Cluster;
  let kp: KpackEnv;
  let pulumi: PulumiEnv;
  let kc: k8s.KubeConfig;
  let sourceUrl: string;

  before(async () => {
    await testEnv(); // the shared environment's teardown stops this cluster's processes too
    cluster = await startCluster();
    kp = await startKpack(cluster, { deferInstall: true });
    pulumi = await pulumiEnv(cluster.workDir, cluster.kubeconfigPath);
    kc = new k8s.KubeConfig();
    kc.loadFromString(cluster.kubeconfig);
    sourceUrl = await sourceBlob(cluster, kp, "install", { "index.html": "<h1>install</h1>\n" });
  });

  after(async () => {
    await kp?.stop();
    await cluster?.stop();
  });

  async function exists(apiVersion: string, kind: string, name: string, namespace?: string): Promise<k8s.KubernetesObject | undefined> {
    try {
      return await k8s.KubernetesObjectApi.makeApiClient(kc).read({ apiVersion, kind, metadata: { name, namespace } });
    } catch (e) {
      if ((e as { code?: number }).code === 404) return undefined;
      throw e;
    }
  }

  const stackArgs = () => ({ stackId: kp.images.stackId, buildImage: kp.images.buildImage, runImage: kp.images.runImage });

  it("refuses to install for a user who is not cluster-admin, listing what is missing, and applies nothing", async () => {
    // A user who may manage kpack objects and read what the hook checks, but not install anything.
    const rbac = k8s.KubernetesObjectApi.makeApiClient(kc);
    await rbac.create({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "kpack-user" },
      rules: [
        { apiGroups: ["kpack.io"], resources: ["*"], verbs: ["*"] },
        {
          apiGroups: ["", "apps", "apiextensions.k8s.io"],
          resources: ["namespaces", "deployments", "customresourcedefinitions"],
          verbs: ["get", "list", "watch"],
        },
      ],
    } as k8s.KubernetesObject);
    await rbac.create({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "kpack-user" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "kpack-user" },
      subjects: [{ kind: "User", name: "kpack-user", apiGroup: "rbac.authorization.k8s.io" }],
    } as k8s.KubernetesObject);
    const kubeconfig = cluster.userKubeconfig("kpack-user", []);
    const stack = await pulumi.stack(
      "install-denied",
      "dev",
      async () => {
        new kpack.ClusterStack("stack", { ...stackArgs(), kubeconfig });
        return {};
      },
      { PULUMI_KPACK_MANIFEST_URL: kp.manifestUrl! },
    );
    let message = "";
    await stack.up().catch((e: Error) => (message = e.message));
    assert.match(message, /ClusterStack .*making sure kpack is installed failed: Installing kpack needs permissions that kpack-user lacks/);
    assert.match(message, /create customresourcedefinitions\.apiextensions\.k8s\.io/);
    assert.match(message, /Nothing was applied/);
    assert.equal(await exists("v1", "Namespace", "kpack"), undefined);
    assert.equal(await exists("apiextensions.k8s.io/v1", "CustomResourceDefinition", "images.kpack.io"), undefined);
    await stack.destroy().catch(() => undefined);
  });

  it("says where a manifest could not be fetched from", async () => {
    const url = `http://127.0.0.1:${await freePort()}/release-0.17.2.yaml`;
    const stack = await pulumi.stack("install-unreachable", "dev", async () => {
      new kpack.ClusterStack("stack", { ...stackArgs(), installKpack: { manifestUrl: url } });
      return {};
    });
    let message = "";
    await stack.up().catch((e: Error) => (message = e.message));
    assert.ok(message.includes(`Cannot fetch the kpack manifest from ${url}: connect ECONNREFUSED`), message);
    assert.equal(await exists("v1", "Namespace", "kpack"), undefined);
    await stack.destroy().catch(() => undefined);
  });

  it("installs kpack 0.17.1 once for resources that start at once and builds on it, then a newer pinned version upgrades it to 0.17.2: the old processes stop, the new ones run, the existing Image keeps building; builds through the password-protected registry; destroy leaves kpack installed", async () => {
    const img = kp.images;
    const reg = kp.registry.host;
    const auth = kp.authRegistry.host;
    const creds = kp.authRegistry.auth!;
    const prev = versions.kpackPrevious;
    const order = [{ group: [{ id: img.buildpacks[0].id }] }];

    // kpack 0.17.1's own release (its config/), installed by hooks. Its controller and webhook
    // run from 0.17.1's binaries; its build pods from the 0.17.2 images the environment pushes.
    const olderManifest = renderKpackManifest({
      configDir: kpackConfigDir(prev),
      version: prev,
      images: {
        ...loopbackImages(reg, img.lifecycleImage),
        controller: kpackImageTag(reg, "controller", prev),
        webhook: kpackImageTag(reg, "webhook", prev),
      },
      webhookPort: kp.webhookPort,
    });
    const installOld = { version: prev, manifestYaml: toYaml(olderManifest) };
    const crdApplies = async () =>
      requestCounts(await metricsText(kc))
        .filter((r) => r.labels.resource === "customresourcedefinitions" && r.labels.verb === "APPLY")
        .reduce((a, r) => a + r.value, 0);
    const oldSettings = { trigger: undefined as string | undefined };
    const older = await pulumi.stack("install-older", "dev", async () => {
      // Four resources with no dependencies between them start at once; the hooks install once for all.
      const stacks = ["a", "b", "c"].map((n) => new kpack.ClusterStack(`old-${n}`, { ...stackArgs(), installKpack: installOld }));
      const store = new kpack.ClusterStore("old-store", { sources: [{ image: img.buildpacks[0].image }], installKpack: installOld });
      const builder = new kpack.Builder("old-builder", {
        tag: `${reg}/install/old-builder`,
        stack: stacks[0],
        store,
        order,
        installKpack: installOld,
      });
      const app = new kpack.Image("old-app", {
        tag: `${reg}/install/old-app`,
        builder,
        source: { blob: { url: sourceUrl } },
        installKpack: installOld,
        triggerBuild: oldSettings.trigger,
      });
      return { latestImage: app.latestImage, buildCounter: app.buildCounter };
    });
    const program = async () => {
      const login = [{ registry: auth, username: creds.username, password: creds.password }];
      const stack = new kpack.ClusterStack("stack", stackArgs());
      const store = new kpack.ClusterStore("store", { sources: [{ image: img.buildpacks[0].image }] });
      const builder = new kpack.Builder("builder", {
        tag: `${auth}/install/builder`,
        stack,
        store,
        order,
        managedServiceAccount: { registryCredentials: login },
      });
      const app = new kpack.Image("app", {
        tag: `${auth}/install/app`,
        builder,
        source: { blob: { url: sourceUrl } },
        managedServiceAccount: { registryCredentials: login },
      });
      return { latestImage: app.latestImage };
    };
    // The default manifest location, pointed at the loopback copy.
    const stack = await pulumi.stack("install-hook", "dev", program, { PULUMI_KPACK_MANIFEST_URL: kp.manifestUrl! });
    try {
      const applies = await crdApplies();
      const first = await older.up();
      const crds = olderManifest.filter((o) => o.kind === "CustomResourceDefinition").length;
      assert.equal(
        (await crdApplies()) - applies,
        crds,
        `one install for the four resources that started at once: each of the ${crds} CRDs applied once`,
      );
      assert.equal((await exists("v1", "Namespace", "kpack"))?.metadata?.annotations?.["pulumi-kpack.io/kpack-version"], prev);
      const oldController = kp.running("kpack-controller");
      const oldWebhook = kp.running("kpack-webhook");
      assert.equal(oldController?.binary, ensureBinary(kpackBinary("controller", prev)), "the controller runs 0.17.1's binary");
      assert.equal(oldWebhook?.binary, ensureBinary(kpackBinary("webhook", prev)), "the webhook runs 0.17.1's binary");
      assert.equal(first.outputs.buildCounter.value, 1);
      assert.equal(first.outputs.latestImage.value, `${reg}/install/old-app@${(await getManifest(`${reg}/install/old-app:latest`)).digest}`);

      let out = "";
      const up = await stack.up({ onOutput: (s) => (out += s) });
      const served = await getManifest(`${auth}/install/app:latest`, creds);
      assert.equal(served.status, 200);
      assert.equal(up.outputs.latestImage.value, `${auth}/install/app@${served.digest}`);
      assert.equal((await getManifest(`${auth}/install/app:latest`)).status, 401, "the registry does require the credentials");
      const ns = await exists("v1", "Namespace", "kpack");
      assert.equal(ns?.metadata?.annotations?.["pulumi-kpack.io/installed-by"], "hook");
      assert.equal(ns?.metadata?.annotations?.["pulumi-kpack.io/kpack-version"], versions.kpack);
      assert.match(out, /upgrading kpack 0\.17\.1 to 0\.17\.2/, "the hooks upgrade the older installation they made");
      assert.match(out, /kpack 0\.17\.2 installed/, "the install shows in pulumi up's output");
      // The Deployments now name 0.17.2's images: the environment rolls their processes over as a rolling
      // update would (which `up` does not wait for, as on any cluster): new ones run 0.17.2's binaries, the
      // 0.17.1 ones stop.
      const alive = (pid: number) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      await waitFor(
        "the 0.17.1 processes to be rolled over to 0.17.2",
        undefined,
        async () =>
          kp.running("kpack-controller")?.binary === ensureBinary(kpackBinary("controller", versions.kpack)) &&
          kp.running("kpack-webhook")?.binary === ensureBinary(kpackBinary("webhook", versions.kpack)) &&
          !alive(oldController.pid) &&
          !alive(oldWebhook.pid),
        120_000,
      );

      // The Image made under 0.17.1 builds again under 0.17.2, its history kept.
      oldSettings.trigger = "after-upgrade";
      const rebuilt = await older.up();
      assert.equal(rebuilt.outputs.buildCounter.value, 2);
      assert.equal(rebuilt.outputs.latestImage.value, `${reg}/install/old-app@${(await getManifest(`${reg}/install/old-app:latest`)).digest}`);
      await older.destroy();

      await stack.preview({ expectNoChanges: true });
      const again = await stack.up({ onOutput: (s) => (out += s) });
      assert.deepEqual(again.summary.resourceChanges, { same: 5 });
      const state = pulumi.rawState("install-hook", "dev");
      for (const form of [
        creds.password,
        Buffer.from(creds.password).toString("base64"),
        Buffer.from(`${creds.username}:${creds.password}`).toString("base64"),
      ]) {
        assert.ok(!state.includes(form) && !out.includes(form), "a password in plaintext in the checkpoint or the CLI output");
      }

      await stack.destroy();
      const accounts = await k8s.KubernetesObjectApi.makeApiClient(kc).list("v1", "ServiceAccount", "default");
      assert.deepEqual(
        accounts.items.map((a) => a.metadata?.name).filter((n) => n !== "default"),
        [],
        "destroy removed the managed ServiceAccounts",
      );
      assert.ok(await exists("v1", "Namespace", "kpack"), "destroying resources must not uninstall kpack");
      assert.ok(await exists("apiextensions.k8s.io/v1", "CustomResourceDefinition", "images.kpack.io"));
    } finally {
      await older.destroy().catch(() => undefined);
      await stack.destroy().catch(() => undefined);
    }
  });

  it("warns instead of failing when the user may not read what the install check reads", async () => {
    // kpack is installed by now (previous test). This user may manage kpack objects and nothing else.
    const rbac = k8s.KubernetesObjectApi.makeApiClient(kc);
    await rbac.create({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "kpack-only" },
      rules: [{ apiGroups: ["kpack.io"], resources: ["*"], verbs: ["*"] }],
    } as k8s.KubernetesObject);
    await rbac.create({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "kpack-only" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "kpack-only" },
      subjects: [{ kind: "User", name: "kpack-only", apiGroup: "rbac.authorization.k8s.io" }],
    } as k8s.KubernetesObject);
    const kubeconfig = cluster.userKubeconfig("kpack-only", []);
    const stack = await pulumi.stack("install-unreadable", "dev", async () => {
      const s = new kpack.ClusterStack("stack", { ...stackArgs(), kubeconfig });
      return { ready: s.ready };
    });
    try {
      let out = "";
      const up = await stack.up({ onOutput: (s) => (out += s) });
      assert.equal(up.outputs.ready.value, true);
      assert.match(out, /cannot check whether kpack is installed .*forbidden.*assuming it is/i);
    } finally {
      await stack.destroy().catch(() => undefined);
    }
  });

  it("lets a KpackInstallation take the installation over, and uninstalls kpack when it is destroyed", async () => {
    const stack = await pulumi.stack("install-explicit", "dev", async () => {
      const inst = new kpack.KpackInstallation("kpack", { version: "0.17.2", manifestUrl: kp.manifestUrl! });
      return { version: inst.installedVersion, namespace: inst.namespace };
    });
    try {
      const up = await stack.up();
      assert.equal(up.outputs.version.value, "0.17.2");
      assert.equal(up.outputs.namespace.value, "kpack");
      const ns = await exists("v1", "Namespace", "kpack");
      assert.equal(ns?.metadata?.annotations?.["pulumi-kpack.io/installed-by"], "installation");
      await stack.preview({ expectNoChanges: true });

      await stack.destroy();
      assert.equal(await exists("apiextensions.k8s.io/v1", "CustomResourceDefinition", "images.kpack.io"), undefined, "CRDs removed");
      assert.equal(await exists("v1", "Namespace", "kpack"), undefined, "namespace removed");
    } finally {
      await stack.destroy().catch(() => undefined);
    }
  });
});
