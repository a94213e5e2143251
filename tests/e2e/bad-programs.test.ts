import * as assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import type { Stack } from "@pulumi/pulumi/automation";
import * as kpack from "../../sdk";
import { testEnv, TestEnv } from "../../devenv/test-env";
import { apiserverWrites, writesBetween } from "../../devenv/metrics";

/**
 * Issue 10, item 5: bad programs fail at `pulumi preview`, each with a message
 * naming the resource, the field and the fix, and write nothing to the cluster
 * (the apiserver's own request counters, read before and after every preview).
 *
 * Each case is a base program that previews cleanly (the first test shows it)
 * with one mistake in it, under a logical name of its own, so its message
 * cannot be one an earlier case left in the output.
 */

type Args = Record<string, unknown>;

const REG = "127.0.0.1:5000";
const STACK: Args = { stackId: "io.buildpacks.stacks.jammy", buildImage: `${REG}/stacks/build:1`, runImage: `${REG}/stacks/run:1` };
const ORDER = [{ group: [{ id: "paketo-buildpacks/java" }] }];
const GOOD_BLOB = "http://127.0.0.1:9/x.tgz";

type Kind =
  | "ClusterStack"
  | "ClusterStore"
  | "ClusterLifecycle"
  | "ClusterBuildpack"
  | "Buildpack"
  | "Builder"
  | "ClusterBuilder"
  | "Image"
  | "KpackInstallation";
const NAMESPACED = new Set<Kind>(["Buildpack", "Builder", "Image"]);

/** The base args of each kind: a program of all of them previews without a failure. */
function base(kind: Kind, ns: string): Args {
  switch (kind) {
    case "ClusterStack":
      return { ...STACK };
    case "ClusterStore":
      return { sources: [{ image: `${REG}/buildpacks/java:18` }] };
    case "ClusterLifecycle":
      return { image: `${REG}/lifecycle:0.20` };
    case "ClusterBuildpack":
      return { image: `${REG}/buildpacks/java:18` };
    case "Buildpack":
      return { namespace: ns, image: `${REG}/buildpacks/java:18` };
    case "Builder":
      return { namespace: ns, tag: `${REG}/builders/java`, stack: "base", store: "store", order: ORDER };
    case "ClusterBuilder":
      return { tag: `${REG}/builders/java`, stack: "base", serviceAccountRef: { name: "builder", namespace: "kpack" }, order: ORDER };
    case "Image":
      return { namespace: ns, tag: `${REG}/team/app`, builder: { kind: "ClusterBuilder", name: "default" }, source: { blob: { url: GOOD_BLOB } } };
    case "KpackInstallation":
      return { version: "0.17.2", manifestUrl: "http://127.0.0.1:9/release.yaml", skipAwait: true };
  }
}

function declare(kind: Kind, name: string, args: Args): void {
  // Typed to take any Args: each case gives a constructor args its type would refuse.
  const ctors = {
    ClusterStack: kpack.ClusterStack,
    ClusterStore: kpack.ClusterStore,
    ClusterLifecycle: kpack.ClusterLifecycle,
    ClusterBuildpack: kpack.ClusterBuildpack,
    Buildpack: kpack.Buildpack,
    Builder: kpack.Builder,
    ClusterBuilder: kpack.ClusterBuilder,
    Image: kpack.Image,
    KpackInstallation: kpack.KpackInstallation,
  } as unknown as Record<Kind, new (n: string, a: Args) => unknown>;
  new ctors[kind](name, args);
}

interface Case {
  title: string;
  kind: Kind;
  /** The base args with the mistake made. */
  args: (b: Args, ctx: { kubeconfig: string }) => Args;
  /** The field path the message must name, exactly as printed ("source.blob.url", "stack config kpack:kubeconfig"). */
  field: string;
  /** A fragment of the fix (or the rule) the message must give after the field. */
  fix: string;
  /** Stack config for this case only. */
  config?: (ctx: { kubeconfig: string }) => Record<string, { value: string; secret?: boolean }>;
  /** How the message names the resource, when not "<Kind> <namespace>/<auto-name>" (an explicit `name`). */
  label?: (logical: string) => string;
}

const without = (b: Args, ...keys: string[]) => Object.fromEntries(Object.entries(b).filter(([k]) => !keys.includes(k)));
const NOT_YAML = "apiVersion: v1\nclusters: [unbalanced\n  : {\n";

const CASES: Case[] = [
  // ClusterStack
  {
    title: "stackId of the wrong type",
    kind: "ClusterStack",
    args: (b) => ({ ...b, stackId: 42 }),
    field: "stackId",
    fix: "must be a string, but is a whole number",
  },
  { title: "buildImage missing", kind: "ClusterStack", args: (b) => without(b, "buildImage"), field: "buildImage", fix: "is required" },
  {
    title: "an unknown key close to runImage",
    kind: "ClusterStack",
    args: (b) => ({ ...without(b, "runImage"), runimage: b.runImage }),
    field: "runimage",
    fix: "did you mean runImage?",
  },
  {
    title: "serviceAccountRef and managedServiceAccount together",
    kind: "ClusterStack",
    args: (b) => ({ ...b, serviceAccountRef: { name: "sa", namespace: "kpack" }, managedServiceAccount: { namespace: "kpack" } }),
    field: "managedServiceAccount",
    fix: "must not be given together with serviceAccountRef",
  },
  {
    title: "managedServiceAccount without its namespace on a cluster-scoped kind",
    kind: "ClusterStack",
    args: (b) => ({ ...b, managedServiceAccount: {} }),
    field: "managedServiceAccount.namespace",
    fix: 'is required: the namespace of the ServiceAccount, e.g. "kpack"',
  },
  {
    title: "serviceAccountRef without its namespace",
    kind: "ClusterStack",
    args: (b) => ({ ...b, serviceAccountRef: { name: "sa" } }),
    field: "serviceAccountRef.namespace",
    fix: "is required",
  },
  // ClusterStore
  {
    title: "sources as a string",
    kind: "ClusterStore",
    args: (b) => ({ ...b, sources: `${REG}/buildpacks/java:18` }),
    field: "sources",
    fix: "must be a list",
  },
  {
    title: "a source image of the wrong type",
    kind: "ClusterStore",
    args: () => ({ sources: [{ image: 42 }] }),
    field: "sources[0].image",
    fix: "must be a string",
  },
  {
    title: "an unknown key in a source",
    kind: "ClusterStore",
    args: () => ({ sources: [{ imag: `${REG}/buildpacks/java:18` }] }),
    field: "sources[0].imag",
    fix: "did you mean image?",
  },
  {
    title: "a namespace on a cluster-scoped kind",
    kind: "ClusterStore",
    args: (b) => ({ ...b, namespace: "apps" }),
    field: "namespace",
    fix: "is cluster-scoped and has no namespace. Remove it",
    label: (l) => `ClusterStore apps/${l}-[0-9a-f]{7}`,
  },
  // ClusterLifecycle
  { title: "image missing", kind: "ClusterLifecycle", args: () => ({}), field: "image", fix: "is required" },
  {
    title: "timeoutSeconds as a string",
    kind: "ClusterLifecycle",
    args: (b) => ({ ...b, timeoutSeconds: "600" }),
    field: "timeoutSeconds",
    fix: "must be a number, but is a string",
  },
  // ClusterBuildpack
  {
    title: "image as a list",
    kind: "ClusterBuildpack",
    args: () => ({ image: [`${REG}/buildpacks/java:18`] }),
    field: "image",
    fix: "must be a string, but is a list",
  },
  {
    title: "serviceAccountName on a cluster-scoped kind",
    kind: "ClusterBuildpack",
    args: (b) => ({ ...b, serviceAccountName: "sa" }),
    field: "serviceAccountName",
    fix: "serviceAccountRef",
  },
  // Buildpack
  { title: "image of the wrong type", kind: "Buildpack", args: (b) => ({ ...b, image: true }), field: "image", fix: "must be a string, but is true" },
  {
    title: "serviceAccountRef on a namespaced kind",
    kind: "Buildpack",
    args: (b) => ({ ...b, serviceAccountRef: { name: "sa", namespace: "kpack" } }),
    field: "serviceAccountRef",
    fix: "serviceAccountName",
  },
  {
    title: "skipAwait as a string",
    kind: "Buildpack",
    args: (b) => ({ ...b, skipAwait: "yes" }),
    field: "skipAwait",
    fix: "must be true or false, but is a string",
  },
  // Builder
  {
    title: "stack as {kind, name}",
    kind: "Builder",
    args: (b) => ({ ...b, stack: { kind: "ClusterStack", name: "base" } }),
    field: "stack",
    fix: "takes a ClusterStack resource or its name, not an object {kind, name}. Pass the ClusterStack resource, or its name",
  },
  {
    title: "store as {kind, name}",
    kind: "Builder",
    args: (b) => ({ ...b, store: { kind: "ClusterStore", name: "store" } }),
    field: "store",
    fix: "takes a ClusterStore resource or its name, not an object {kind, name}",
  },
  {
    title: "lifecycle as a list",
    kind: "Builder",
    args: (b) => ({ ...b, lifecycle: ["default-lifecycle"] }),
    field: "lifecycle",
    fix: "takes a ClusterLifecycle resource or its name, not a list",
  },
  {
    title: "an order entry as a bare string",
    kind: "Builder",
    args: (b) => ({ ...b, order: [{ group: ["paketo-buildpacks/java"] }] }),
    field: "order[0].group[0]",
    fix: 'must be {id: "paketo-buildpacks/java"}',
  },
  {
    title: "an order entry's buildpack as a name",
    kind: "Builder",
    args: (b) => ({ ...b, order: [{ group: [{ buildpack: "java" }] }] }),
    field: "order[0].group[0].buildpack",
    fix: "takes a Buildpack or ClusterBuildpack resource",
  },
  { title: "tag missing", kind: "Builder", args: (b) => without(b, "tag"), field: "tag", fix: "is required" },
  {
    title: "an unknown key close to order",
    kind: "Builder",
    args: (b) => ({ ...without(b, "order"), ordr: b.order }),
    field: "ordr",
    fix: "did you mean order?",
  },
  // ClusterBuilder
  {
    title: "no ServiceAccount",
    kind: "ClusterBuilder",
    args: (b) => without(b, "serviceAccountRef"),
    field: "serviceAccountRef",
    fix: "is required: the ServiceAccount kpack pushes the builder with",
  },
  {
    title: "stack as {kind, name}",
    kind: "ClusterBuilder",
    args: (b) => ({ ...b, stack: { kind: "ClusterStack", name: "base" } }),
    field: "stack",
    fix: "takes a ClusterStack resource or its name",
  },
  {
    title: "a namespace on a cluster-scoped kind",
    kind: "ClusterBuilder",
    args: (b) => ({ ...b, namespace: "apps" }),
    field: "namespace",
    fix: "is cluster-scoped and has no namespace. Remove it",
    label: (l) => `ClusterBuilder apps/${l}-[0-9a-f]{7}`,
  },
  // Image: references and source
  {
    title: "builder as a bare name",
    kind: "Image",
    args: (b) => ({ ...b, builder: "default" }),
    field: "builder",
    fix: 'not a string. E.g. builder: {kind: "ClusterBuilder", name: "default"}',
  },
  {
    title: "builder of an unknown kind",
    kind: "Image",
    args: (b) => ({ ...b, builder: { kind: "ClusterStack", name: "default" } }),
    field: "builder.kind",
    fix: "Builder",
  },
  {
    title: "an empty source",
    kind: "Image",
    args: (b) => ({ ...b, source: {} }),
    field: "source",
    fix: "must give exactly one of git, blob, registry",
  },
  {
    title: "two sources",
    kind: "Image",
    args: (b) => ({ ...b, source: { blob: { url: GOOD_BLOB }, registry: { image: `${REG}/src:1` } } }),
    field: "source.registry",
    fix: "but gives blob and registry. Keep one",
  },
  {
    title: 'blob URL "not-a-url"',
    kind: "Image",
    args: (b) => ({ ...b, source: { blob: { url: "not-a-url" } } }),
    field: "source.blob.url",
    fix: "must be an http:// or https:// URL of a zip or tar archive",
  },
  {
    title: "blob URL over ftp",
    kind: "Image",
    args: (b) => ({ ...b, source: { blob: { url: "ftp://127.0.0.1/app.tgz" } } }),
    field: "source.blob.url",
    fix: "not ftp:",
  },
  {
    title: "git URL without a scheme",
    kind: "Image",
    args: (b) => ({ ...b, source: { git: { url: "127.0.0.1/team/app.git", revision: "main" } } }),
    field: "source.git.url",
    fix: "without a scheme it is a local path",
  },
  {
    title: "git URL file://",
    kind: "Image",
    args: (b) => ({ ...b, source: { git: { url: "file:///srv/git/app.git", revision: "main" } } }),
    field: "source.git.url",
    fix: "not a file:// URL",
  },
  {
    title: "git URL with a scheme kpack cannot clone",
    kind: "Image",
    args: (b) => ({ ...b, source: { git: { url: "ftp://127.0.0.1/app.git", revision: "main" } } }),
    field: "source.git.url",
    fix: 'has the scheme "ftp", which kpack cannot clone from',
  },
  {
    title: 'git URL with a mistyped "://"',
    kind: "Image",
    args: (b) => ({ ...b, source: { git: { url: "https:/127.0.0.1/team/app.git", revision: "main" } } }),
    field: "source.git.url",
    fix: 'mistyped "://"',
  },
  {
    title: "git source without a revision",
    kind: "Image",
    args: (b) => ({ ...b, source: { git: { url: "https://127.0.0.1:3000/team/app.git" } } }),
    field: "source.git.revision",
    fix: "is required",
  },
  {
    title: "an unknown key close to source",
    kind: "Image",
    args: (b) => ({ ...without(b, "source"), sourc: b.source }),
    field: "sourc",
    fix: "did you mean source?",
  },
  // Image: cross-field rules
  {
    title: "an additional tag in another registry",
    kind: "Image",
    args: (b) => ({ ...b, additionalTags: ["127.0.0.1:6000/team/app:v1"] }),
    field: "additionalTags[0]",
    fix: "must be in the registry of tag (127.0.0.1:5000)",
  },
  {
    title: "a build env entry with value and valueFrom",
    kind: "Image",
    args: (b) => ({ ...b, build: { env: [{ name: "A", value: "1", valueFrom: { configMapKeyRef: { name: "c", key: "k" } } }] } }),
    field: "build.env[0].valueFrom",
    fix: "must not be given together with value. Keep one",
  },
  {
    title: "blob credentials without source.blob.auth",
    kind: "Image",
    args: (b) => ({ ...b, managedServiceAccount: { blobCredentials: [{ host: "127.0.0.1:9", bearer: "tok" }] } }),
    field: "managedServiceAccount.blobCredentials",
    fix: 'Set source.blob.auth to "secret"',
  },
  {
    title: "blob credentials with bearer and authorization",
    kind: "Image",
    args: (b) => ({
      ...b,
      source: { blob: { url: GOOD_BLOB, auth: "secret" } },
      managedServiceAccount: { blobCredentials: [{ host: "127.0.0.1:9", bearer: "tok", authorization: "Basic x" }] },
    }),
    field: "managedServiceAccount.blobCredentials[0]",
    fix: "but kpack allows only one per host. Keep one",
  },
  {
    title: "a git credential with both an SSH key and a password",
    kind: "Image",
    args: (b) => ({
      ...b,
      managedServiceAccount: { gitCredentials: [{ url: "git@127.0.0.1", sshPrivateKey: "key", username: "u", password: "p" }] },
    }),
    field: "managedServiceAccount.gitCredentials[0].sshPrivateKey",
    fix: "Split it into two entries",
  },
  {
    title: "an SSH key for an https URL",
    kind: "Image",
    args: (b) => ({ ...b, managedServiceAccount: { gitCredentials: [{ url: "https://127.0.0.1:3000", sshPrivateKey: "key" }] } }),
    field: "managedServiceAccount.gitCredentials[0].url",
    fix: "must be an SSH location",
  },
  {
    title: "a registry given twice",
    kind: "Image",
    args: (b) => ({
      ...b,
      managedServiceAccount: {
        registryCredentials: [
          { registry: REG, username: "a", password: "b" },
          { registry: REG, username: "c", password: "d" },
        ],
      },
    }),
    field: "managedServiceAccount.registryCredentials[1]",
    fix: "repeats the",
  },
  {
    title: "serviceAccountName and managedServiceAccount together",
    kind: "Image",
    args: (b) => ({ ...b, serviceAccountName: "sa", managedServiceAccount: {} }),
    field: "managedServiceAccount",
    fix: "must not be given together with serviceAccountName",
  },
  {
    title: "installKpack: true",
    kind: "Image",
    args: (b) => ({ ...b, installKpack: true }),
    field: "installKpack",
    fix: "must be false or an object {version?, manifestUrl?",
  },
  {
    title: "a name longer than Kubernetes allows",
    kind: "Image",
    args: (b) => ({ ...b, name: "a".repeat(70) }),
    field: "name",
    fix: "must be at most",
    label: () => `Image ${"a".repeat(70)}`,
  },
  // KpackInstallation
  {
    title: "two manifest sources",
    kind: "KpackInstallation",
    args: (b) => ({ ...b, manifestYaml: "kind: List\n" }),
    field: "(args)",
    fix: "give at most one of manifestUrl, manifestFile and manifestYaml",
  },
  {
    title: "version as a number",
    kind: "KpackInstallation",
    args: (b) => ({ ...b, version: 17 }),
    field: "version",
    fix: "must be a string, but is a whole number",
  },
  // Cluster access, checked offline
  {
    title: "a kubeconfig input that is not YAML",
    kind: "ClusterStack",
    args: (b) => ({ ...b, kubeconfig: NOT_YAML }),
    field: "kubeconfig",
    fix: "cannot be read as a kubeconfig",
  },
  {
    title: "a kubeconfig input that is a path",
    kind: "Image",
    args: (b) => ({ ...b, kubeconfig: "/root/.kube/config" }),
    field: "kubeconfig",
    fix: "Give the contents of a kubeconfig file, not its path",
  },
  {
    title: "a context the kubeconfig input lacks",
    kind: "Builder",
    args: (b, c) => ({ ...b, kubeconfig: c.kubeconfig, context: "staging" }),
    field: "context",
    fix: 'the kubeconfig input has no context "staging" (it has: pulumi-kpack-test)',
  },
  {
    title: "stack config kpack:kubeconfig that is not YAML",
    kind: "ClusterStore",
    args: (b) => b,
    config: () => ({ "kpack:kubeconfig": { value: NOT_YAML, secret: true } }),
    field: "stack config kpack:kubeconfig",
    fix: "pulumi config set --secret kpack:kubeconfig",
  },
  {
    title: "stack config kpack:context the stack's kubeconfig lacks",
    kind: "Image",
    args: (b) => b,
    config: (c) => ({ "kpack:kubeconfig": { value: c.kubeconfig, secret: true }, "kpack:context": { value: "prod" } }),
    field: "stack config kpack:context",
    fix: 'has no context "prod"',
  },
  {
    title: "a context input the stack config kubeconfig lacks",
    kind: "ClusterLifecycle",
    args: (b) => ({ ...b, context: "qa" }),
    config: (c) => ({ "kpack:kubeconfig": { value: c.kubeconfig, secret: true } }),
    field: "context",
    fix: 'the kubeconfig in stack config kpack:kubeconfig has no context "qa"',
  },
];

/**
 * A preview, run again when the CLI could not reach the Automation API's
 * in-process language runtime at all ("14 UNAVAILABLE: No connection
 * established", seen once in ~60 previews): a transport failure before the
 * program ran, which says nothing about the program. Any other outcome counts.
 */
async function previewRetryingTransport(stack: Stack, out: string[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    out.length = 0;
    try {
      await stack.preview({ onOutput: (s) => out.push(s) });
      return;
    } catch (e) {
      if (attempt < 3 && /14 UNAVAILABLE: No connection established/.test(`${(e as Error).message}\n${out.join("")}`)) continue;
      throw e;
    }
  }
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("bad programs fail at preview, naming the field, and write nothing", function () {
  let env: TestEnv;
  let ns: string;
  let stack: Stack;
  let program: () => Promise<Record<string, unknown>> = async () => ({});

  before(async () => {
    env = await testEnv();
    ns = await env.namespace("e2e-bad");
    // The namespace's default ServiceAccount is written by kube-controller-manager: let that happen before counting.
    const core = env.kubeConfig.makeApiClient(k8s.CoreV1Api);
    for (let i = 0; i < 300; i++) {
      if (
        await core.readNamespacedServiceAccount({ name: "default", namespace: ns }).then(
          () => true,
          () => false,
        )
      )
        break;
      await new Promise((r) => setTimeout(r, 100));
    }
    stack = await env.pulumi.stack("bad-programs", "dev", () => program());
  });

  after(async () => {
    await stack?.workspace.removeStack("dev", { force: true }).catch(() => undefined);
  });

  it("counts writes: the apiserver's metric exists and a known write increases it", async () => {
    const before = await apiserverWrites(env.kubeConfig);
    assert.ok(before.total > 0, "apiserver_request_total has write samples");
    const core = env.kubeConfig.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: "known-write" }, data: { a: "1" } } });
    const after = await apiserverWrites(env.kubeConfig);
    assert.ok(
      writesBetween(before, after).some((l) => /^POST core\/configmaps: \+[1-9]/.test(l)),
      `the ConfigMap write was counted: ${writesBetween(before, after).join(", ")}`,
    );
  });

  it("the base program of every kind previews without a failure", async () => {
    program = async () => {
      for (const kind of Object.keys({
        ClusterStack: 1,
        ClusterStore: 1,
        ClusterLifecycle: 1,
        ClusterBuildpack: 1,
        Buildpack: 1,
        Builder: 1,
        ClusterBuilder: 1,
        Image: 1,
        KpackInstallation: 1,
      }) as Kind[]) {
        declare(kind, `base-${kind.toLowerCase()}`, base(kind, ns));
      }
      return {};
    };
    const out: string[] = [];
    const r = await stack.preview({ onOutput: (s) => out.push(s) });
    assert.deepEqual(r.changeSummary, { create: 10 }, out.join(""));
  });

  it("has at least 40 bad programs, covering every kind", () => {
    assert.ok(CASES.length >= 40, `${CASES.length} cases`);
    assert.equal(new Set(CASES.map((c) => c.kind)).size, 9, "every kind has a bad program");
  });

  CASES.forEach((c, i) => {
    const logical = `bad${String(i).padStart(2, "0")}`;
    it(`${c.kind}: ${c.title} → ${c.field}`, async () => {
      const ctx = { kubeconfig: env.cluster.kubeconfig };
      const args = c.args(base(c.kind, ns), ctx);
      program = async () => {
        declare(c.kind, logical, args);
        return {};
      };
      const config = c.config?.(ctx) ?? {};
      for (const [key, v] of Object.entries(config)) await stack.setConfig(key, { value: v.value, secret: v.secret ?? false });
      const out: string[] = [];
      const before = await apiserverWrites(env.kubeConfig);
      let message = "";
      try {
        await previewRetryingTransport(stack, out);
        assert.fail(`preview of ${logical} (${c.title}) succeeded:\n${out.join("")}`);
      } catch (e) {
        if (e instanceof assert.AssertionError) throw e;
        message = `${(e as Error).message}\n${out.join("")}`;
      } finally {
        for (const key of Object.keys(config)) await stack.removeConfig(key);
      }
      const after = await apiserverWrites(env.kubeConfig);
      const label =
        c.label?.(logical) ??
        (c.kind === "KpackInstallation"
          ? `KpackInstallation ${logical}`
          : `${c.kind} ${NAMESPACED.has(c.kind) ? `${escape(ns)}/` : ""}${logical}-[0-9a-f]{7}`);
      assert.match(message, new RegExp(`${label}: ${escape(c.field)}: [^\\n]*${escape(c.fix)}`), message);
      assert.deepEqual(writesBetween(before, after), [], `preview of ${logical} wrote to the cluster`);
      // No zod default wording reaches the user.
      assert.doesNotMatch(message, /Invalid (input|option)|expected \w+, received/);
    });
  });
});
