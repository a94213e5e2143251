import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import * as k8s from "@kubernetes/client-node";
import type { Stack } from "@pulumi/pulumi/automation";
import { exampleConfig, exampleStack, sourceBlob } from "../../devenv/examples";
import type { KpackEnv } from "../../devenv/kpack-env";
import { repoRoot } from "../../devenv/paths";
import { installedVersion, type ProgramDeps } from "../../devenv/pulumi";
import { versions } from "../../devenv/versions";
import { getManifest } from "../../devenv/registry";
import { testEnv, TestEnv } from "../../devenv/test-env";

type Outputs = Record<string, { value: unknown }>;
const value = (o: Outputs, k: string) => o[k]?.value;

/**
 * Every example under examples/, run as a user runs it: its program directory
 * with pulumi-kpack installed from the `npm pack` tarball, `pulumi up` through
 * the real CLI, the Node.js language host and ts-node, @pulumi/kubernetes
 * through its real plugin, against the local environment.
 */
describe("examples as program directories", function () {
  let env: TestEnv;
  let kp: KpackEnv;

  before(async () => {
    env = await testEnv();
    kp = await env.kpack();
  });

  it("quickstart: builds the app and exports the digest the registry serves; a second up and a preview change nothing", async () => {
    const stack = await exampleStack(env.cluster, kp, env.pulumi, "quickstart", "e2e");
    try {
      let output = "";
      const up = await stack.up({ onOutput: (s) => (output += s) });
      // Clean diagnostics: no Node warning from a dependency, and the build's result once.
      assert.doesNotMatch(output, /ExperimentalWarning/);
      // No warning that comes from the environment rather than the program (issue 20): plugins are where an
      // installed CLI keeps them, and the program directory has its package.json.
      assert.doesNotMatch(output, /from \$PATH|Could not find a package\.json|warning:/i, output);
      const diagnostics = output.slice(output.indexOf("Diagnostics:"));
      assert.ok(output.includes("Diagnostics:"), output);
      assert.equal(diagnostics.match(/Build \S+ \(#1, [A-Z,]+\) succeeded: /g)?.length, 1, diagnostics);
      const tag = `${kp.registry.host}/quickstart-e2e/app`;
      const served = await getManifest(`${tag}:latest`);
      assert.equal(value(up.outputs, "image"), `${tag}@${served.digest}`);
      assert.equal(value(up.outputs, "buildCounter"), 1);
      await stack.preview({ expectNoChanges: true });
      const again = await stack.up();
      assert.deepEqual(again.summary.resourceChanges, { same: 5 });
    } finally {
      await stack.destroy().catch(() => undefined);
    }
  });

  it("app-deployment: a Deployment runs the built digest, and a new build rolls it to a new ReplicaSet with the new digest", async () => {
    const ns = await env.namespace("e2e-app");
    const stack = await exampleStack(env.cluster, kp, env.pulumi, "app-deployment", "e2e", { namespace: ns, skipRolloutWait: "true" });
    const apps = env.kubeConfig.makeApiClient(k8s.AppsV1Api);
    const core = env.kubeConfig.makeApiClient(k8s.CoreV1Api);
    try {
      const first = await stack.up();
      const image1 = String(value(first.outputs, "image"));
      const tag = `${kp.registry.host}/app-deployment-e2e/app`;
      assert.equal(image1, `${tag}@${(await getManifest(`${tag}:latest`)).digest}`);
      const name = String(value(first.outputs, "deploymentName"));
      const d1 = await apps.readNamespacedDeployment({ name, namespace: ns });
      assert.equal(d1.spec?.template.spec?.containers[0].image, image1, "the Deployment runs the digest kpack built");
      await core.readNamespacedService({ name: String(value(first.outputs, "serviceName")), namespace: ns });

      // A new build gives a new digest in the same `pulumi up`. Real CNB builds are reproducible (a rebuild of
      // the same source gives the same digest), so the new build is of changed source.
      const fixed = await sourceBlob(env.cluster, kp, "app-deployment-e2e-fixed", { "index.html": "<h1>Hello from kpack (fixed)</h1>\n" });
      await stack.setConfig("sourceUrl", { value: fixed });
      const second = await stack.up();
      const image2 = String(value(second.outputs, "image"));
      assert.notEqual(image2, image1, "a rebuild gives a new digest");
      assert.equal(value(second.outputs, "buildCounter"), 2);
      assert.equal(value(second.outputs, "deploymentImage"), image2);
      // kube-controller-manager's deployment controller rolls it: a ReplicaSet whose pod template holds the new digest.
      const deadline = Date.now() + 60_000;
      let images: string[] = [];
      for (;;) {
        const rs = await apps.listNamespacedReplicaSet({ namespace: ns });
        images = rs.items.map((r) => r.spec?.template?.spec?.containers[0].image ?? "");
        if (images.includes(image2) && images.includes(image1)) break;
        assert.ok(Date.now() < deadline, `no ReplicaSet with ${image2} (have ${images.join(", ")})`);
        await new Promise((r) => setTimeout(r, 500));
      }
      assert.equal(images.length, 2, "the old ReplicaSet and the new one");
    } finally {
      await stack.destroy().catch(() => undefined);
    }
  });

  it("private-registry: builder and app pushed with managed credentials; the password stays out of state and output", async () => {
    const creds = kp.authRegistry.auth!;
    const registry = `${kp.authRegistry.host}/private-e2e`;
    const stack = await exampleStack(
      env.cluster,
      kp,
      env.pulumi,
      "private-registry",
      "e2e",
      { registry, registryUser: creds.username },
      { registryPassword: creds.password },
    );
    const output: string[] = [];
    try {
      const up = await stack.up({ onOutput: (s) => output.push(s) });
      const served = await getManifest(`${registry}/app:latest`, creds);
      assert.equal(value(up.outputs, "image"), `${registry}/app@${served.digest}`);
      assert.equal((await getManifest(`${registry}/app:latest`)).status, 401, "the registry serves the image only with credentials");
      const state = env.pulumi.rawState("kpack-private-registry", "e2e");
      for (const form of [creds.password, Buffer.from(creds.password).toString("base64")]) {
        assert.ok(!state.includes(form), "the password is not in the checkpoint");
        assert.ok(!output.join("").includes(form), "the password is not in the CLI output");
      }
    } finally {
      await stack.destroy().catch(() => undefined);
    }
  });

  it("many-images: one ClusterBuilder builds every Image", async () => {
    const ns = await env.namespace("e2e-many");
    const count = 3;
    const stack = await exampleStack(env.cluster, kp, env.pulumi, "many-images", "e2e", {
      namespace: ns,
      count: String(count),
      builderNamespace: ns,
    });
    try {
      const up = await stack.up();
      const latest = value(up.outputs, "latestImages") as string[];
      assert.equal(latest.length, count);
      for (let i = 0; i < count; i++) {
        const tag = `${kp.registry.host}/many-images-e2e/app-${i}`;
        assert.equal(latest[i], `${tag}@${(await getManifest(`${tag}:latest`)).digest}`);
      }
    } finally {
      await stack.destroy().catch(() => undefined);
    }
  });

  it("the repository root's Pulumi.yaml: pulumi up of the quickstart in place", async () => {
    const stackName = `e2e-root-${process.pid}`;
    const stack = await env.pulumi.programStack(repoRoot, stackName, { inPlace: true });
    const configFile = path.join(repoRoot, `Pulumi.${stackName}.yaml`);
    try {
      const config = await exampleConfig(env.cluster, kp, `${kp.registry.host}/root-e2e`, "root-e2e");
      await stack.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [k, { value: v }])));
      const up = await stack.up();
      const tag = `${kp.registry.host}/root-e2e/app`;
      assert.equal(value(up.outputs, "image"), `${tag}@${(await getManifest(`${tag}:latest`)).digest}`);
    } finally {
      await stack.destroy().catch(() => undefined);
      await stack.workspace.removeStack(stackName).catch(() => undefined);
      fs.rmSync(configFile, { force: true });
    }
  });
});

/** `pulumi refresh` of a stack whose objects nobody touched: every resource the same, and a preview after it has nothing to do. */
async function refreshChangesNothing(stack: Stack): Promise<void> {
  const refresh = await stack.refresh();
  assert.deepEqual(
    Object.keys(refresh.summary.resourceChanges ?? {}),
    ["same"],
    `refresh changed nothing: ${JSON.stringify(refresh.summary.resourceChanges)}`,
  );
  await stack.preview({ expectNoChanges: true });
}

/** Every directory under `dir` that holds a copy of the npm package `name` (node_modules/<name>/package.json). */
function copiesOf(dir: string, name: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    const nm = path.join(d, "node_modules");
    if (!fs.existsSync(nm)) return;
    if (fs.existsSync(path.join(nm, name, "package.json"))) found.push(path.join(nm, name));
    for (const entry of fs.readdirSync(nm)) {
      if (entry.startsWith(".")) continue;
      const pkgs = entry.startsWith("@") ? fs.readdirSync(path.join(nm, entry)).map((e) => path.join(nm, entry, e)) : [path.join(nm, entry)];
      for (const p of pkgs) walk(p);
    }
  };
  walk(dir);
  return found;
}

/**
 * Issue 19: pulumi-kpack installed next to a program's own @pulumi/pulumi and
 * @pulumi/kubernetes, as a user installs them (`npm install <tarball>
 * @pulumi/pulumi@<v> @pulumi/kubernetes@<v>`), at the oldest versions the
 * package claims and at the newest the registry serves: one copy of
 * @pulumi/pulumi, and the same up, no-change preview, refresh and destroy.
 * The CLI and the Kubernetes plugin stay the ones the environment builds (the
 * engine runs a plugin found on PATH whatever version the SDK asks for).
 */
describe("examples with the oldest and the newest @pulumi/pulumi and @pulumi/kubernetes", function () {
  let env: TestEnv;
  let kp: KpackEnv;

  before(async () => {
    env = await testEnv();
    kp = await env.kpack();
  });

  const newest = async (name: string) => (await promisify(execFile)("npm", ["view", name, "version"], { encoding: "utf8" })).stdout.trim();
  const depsOf = async (which: "oldest" | "newest"): Promise<ProgramDeps> =>
    which === "oldest"
      ? { pulumi: versions.pulumiOldest, kubernetes: versions.pulumiKubernetesOldest }
      : { pulumi: await newest("@pulumi/pulumi"), kubernetes: await newest("@pulumi/kubernetes") };
  for (const which of ["oldest", "newest"] as const) {
    it(`app-deployment with the ${which}: one @pulumi/pulumi in node_modules; up, a no-change preview, refresh and destroy`, async () => {
      const deps = await depsOf(which);
      const dir = env.pulumi.programDeps(deps);
      const copies = copiesOf(dir, "@pulumi/pulumi");
      assert.deepEqual(copies, [path.join(dir, "node_modules", "@pulumi", "pulumi")], `one @pulumi/pulumi (found ${copies.join(", ")})`);
      assert.equal(installedVersion("@pulumi/pulumi", dir), deps.pulumi);
      assert.equal(installedVersion("@pulumi/kubernetes", dir), deps.kubernetes);
      // npm's own view: nothing missing, invalid or extraneous in the tree.
      await promisify(execFile)("npm", ["ls", "--all"], { cwd: dir, encoding: "utf8", maxBuffer: 16 << 20 });

      const ns = await env.namespace(`e2e-compat-${which}`);
      const stack = await exampleStack(
        env.cluster,
        kp,
        env.pulumi,
        "app-deployment",
        `compat-${which}`,
        { namespace: ns, skipRolloutWait: "true" },
        {},
        deps,
      );
      const apps = env.kubeConfig.makeApiClient(k8s.AppsV1Api);
      try {
        const up = await stack.up();
        const tag = `${kp.registry.host}/app-deployment-compat-${which}/app`;
        const image = String(value(up.outputs, "image"));
        assert.equal(image, `${tag}@${(await getManifest(`${tag}:latest`)).digest}`);
        const d = await apps.readNamespacedDeployment({ name: String(value(up.outputs, "deploymentName")), namespace: ns });
        assert.equal(d.spec?.template.spec?.containers[0].image, image);
        await stack.preview({ expectNoChanges: true });
        await refreshChangesNothing(stack);
        const down = await stack.destroy();
        assert.deepEqual(Object.keys(down.summary.resourceChanges ?? {}), ["delete"]);
        await assert.rejects(apps.readNamespacedDeployment({ name: d.metadata!.name!, namespace: ns }), "the Deployment is gone");
      } finally {
        await stack.destroy().catch(() => undefined);
      }
    });

    // Secrets are serialized by the program's @pulumi/pulumi, whichever version: the password stays out of state and output.
    it(`private-registry with the ${which}: the password stays out of the checkpoint and the output; refresh changes nothing`, async () => {
      const deps = await depsOf(which);
      const creds = kp.authRegistry.auth!;
      const registry = `${kp.authRegistry.host}/private-compat-${which}`;
      const stackName = `compat-${which}`;
      const stack = await exampleStack(
        env.cluster,
        kp,
        env.pulumi,
        "private-registry",
        stackName,
        { registry, registryUser: creds.username },
        { registryPassword: creds.password },
        deps,
      );
      const output: string[] = [];
      try {
        const up = await stack.up({ onOutput: (o) => output.push(o) });
        assert.equal(value(up.outputs, "image"), `${registry}/app@${(await getManifest(`${registry}/app:latest`, creds)).digest}`);
        await stack.preview({ expectNoChanges: true, onOutput: (o) => output.push(o) });
        await refreshChangesNothing(stack);
        const state = env.pulumi.rawState("kpack-private-registry", stackName);
        for (const form of [creds.password, Buffer.from(creds.password).toString("base64")]) {
          assert.ok(!state.includes(form), "the password is not in the checkpoint");
          assert.ok(!output.join("").includes(form), "the password is not in the CLI output");
        }
        const down = await stack.destroy();
        assert.deepEqual(Object.keys(down.summary.resourceChanges ?? {}), ["delete"]);
      } finally {
        await stack.destroy().catch(() => undefined);
      }
    });
  }
});
