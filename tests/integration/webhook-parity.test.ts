import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { testEnv } from "../../devenv/test-env";
import { repoRoot } from "../../devenv/paths";
import { metricsText, webhookCalls } from "../../devenv/metrics";
import { kube, Kube } from "../../provider/kube/client";
import { apiMessage, FIELD_MANAGER, httpStatus, KubeObject, webhookUnreachable } from "../../provider/kube/objects";
import { KindDefinition, toObject } from "../../provider/kind";
import { builder as builderKind } from "../../provider/kinds/builder";
import { buildpack as buildpackKind } from "../../provider/kinds/buildpack";
import { clusterBuilder as clusterBuilderKind } from "../../provider/kinds/cluster-builder";
import { clusterBuildpack as clusterBuildpackKind } from "../../provider/kinds/cluster-buildpack";
import { clusterLifecycle as clusterLifecycleKind } from "../../provider/kinds/cluster-lifecycle";
import { clusterStack as clusterStackKind } from "../../provider/kinds/cluster-stack";
import { clusterStore as clusterStoreKind } from "../../provider/kinds/cluster-store";
import { image as imageKind } from "../../provider/kinds/image";
import { check, formatPath, type ResourceDefinition } from "../../provider/lifecycle";
import { compact, type Props } from "../../provider/values";
import { DEFAULT_LIFECYCLE } from "../../schema/builder";
import type { CommonInputs } from "../../schema/common";

/**
 * Issue 17, item 4: preview ⇔ webhook parity, proven against the real webhook.
 *
 * A generated table of inputs, for every kind and its important fields (valid,
 * boundary and invalid values), each run through the provider's check (what
 * `pulumi preview` runs) and, as the kpack object it maps to, through the
 * apiserver as a server-side apply with dryRun=All, so kpack 0.17.2's real
 * defaulting and validating webhooks judge it and nothing is stored.
 *
 * What must hold: whatever the webhook rejects, check rejects too, naming the
 * field; whatever the webhook accepts, check accepts too, unless the input is
 * in DELIBERATE_DIFFERENCES (check refusing what kpack takes but cannot use).
 */

type Kind = ResourceDefinition<CommonInputs> & { object: KindDefinition<CommonInputs> };
// A kind's own input type only narrows CommonInputs; the table handles all kinds alike.
const kind = <A extends CommonInputs>(d: ResourceDefinition<A> & { object: KindDefinition<A> }): Kind => d as unknown as Kind;
const [clusterStack, clusterStore, clusterLifecycle, clusterBuildpack, buildpack, builder, clusterBuilder, image] = [
  kind(clusterStackKind),
  kind(clusterStoreKind),
  kind(clusterLifecycleKind),
  kind(clusterBuildpackKind),
  kind(buildpackKind),
  kind(builderKind),
  kind(clusterBuilderKind),
  kind(imageKind),
];

const R = "127.0.0.1:5000";
const HEX = "0123456789abcdef".repeat(4);
const ORDER = [{ group: [{ id: "paketo-buildpacks/java" }] }];
const GIT = { git: { url: "https://127.0.0.1:3000/team/app.git", revision: "main" } };

/** Valid base args of each kind; each input changes one thing in one of them. */
const BASE: Array<[Kind, Props]> = [
  [clusterStack, { stackId: "io.buildpacks.stacks.jammy", buildImage: `${R}/stacks/build:1`, runImage: `${R}/stacks/run:1` }],
  [clusterStore, { sources: [{ image: `${R}/buildpacks/java:18` }] }],
  [clusterLifecycle, { image: `${R}/lifecycle:0.20` }],
  [clusterBuildpack, { image: `${R}/buildpacks/java:18` }],
  [buildpack, { image: `${R}/buildpacks/java:18` }],
  [builder, { tag: `${R}/builders/java`, stack: "base", store: "default", order: ORDER }],
  [clusterBuilder, { tag: `${R}/builders/java`, stack: "base", serviceAccountRef: { name: "builder", namespace: "kpack" }, order: ORDER }],
  [image, { tag: `${R}/team/app`, builder: { kind: "ClusterBuilder", name: "default" }, source: GIT }],
];
const base = (def: Kind): Props => structuredClone(BASE.find(([d]) => d === def)![1]);

/**
 * Image references and tags, one list for both: kpack parses both with
 * go-containerregistry (ParseReference, NewTag), so a value valid as one may be
 * invalid as the other (a digest), and the webhook says which.
 */
const REFS: Array<[string, string]> = [
  ["plain", `${R}/team/app`],
  ["with a tag", `${R}/team/app:1.0`],
  ["digest-pinned", `${R}/team/app@sha256:${HEX}`],
  ["tag and digest", `${R}/team/app:1.0@sha256:${HEX}`],
  ["on localhost", "localhost:5000/team/app:v1"],
  ["IPv6 registry", "[::1]:5000/team/app:1"],
  ["tag of 128 characters", `${R}/team/app:${"v".repeat(128)}`],
  ["tag of 129 characters", `${R}/team/app:${"v".repeat(129)}`],
  ["repository of 2 characters", `${R}/ab:1`],
  ["repository of 1 character", `${R}/a:1`],
  ["repository of 255 characters", `${R}/team/${"a".repeat(250)}:1`],
  ["repository of 256 characters", `${R}/team/${"a".repeat(251)}:1`],
  ["double underscore", `${R}/team/my__app:1`],
  ["uppercase repository", `${R}/Team/App:1`],
  ["bad tag characters", `${R}/team/app:v1!`],
  ["short digest", `${R}/team/app@sha256:abc123`],
  ["uppercase digest", `${R}/team/app@sha256:${HEX.toUpperCase()}`],
  ["sha512 digest", `${R}/team/app@sha512:${HEX}${HEX}`],
  ["empty", ""],
  ["empty tag after ':'", `${R}/team/app:`],
  ["space", `${R}/team/my app:1`],
  ["URL scheme", `http://${R}/team/app:1`],
  ["tag starting with '.'", `${R}/team/app:.v1`],
  ["empty port", "127.0.0.1:/team/app:1"],
  ["doubled '/'", `${R}/team//app:1`],
  ["leading '-' in a path component", `${R}/team/-app:1`],
];

/** Inputs check may refuse although kpack's webhook admits them, each with why. */
const DELIBERATE_DIFFERENCES: Array<{ cases: RegExp; reason: string }> = [
  {
    cases: /: tag starting with '\.'$/,
    reason:
      "registries refuse a tag not starting with a letter, digit or '_' (OCI distribution grammar); kpack's parser checks only the characters, so the pull or push fails",
  },
  {
    cases: /: (doubled '\/'|leading '-' in a path component)$/,
    reason: "registries refuse such repository names (NAME_INVALID); kpack's parser checks only the characters, so the pull or push fails",
  },
  {
    cases: /: empty port$/,
    reason:
      "a registry written 'host:' with no port: kpack's parser lets it through, but its credential lookup names registries as host or host:port; write one of those",
  },
  {
    cases: /^ClusterLifecycle image: /,
    reason: "kpack checks only that the lifecycle image is given; a malformed reference fails when kpack resolves the lifecycle",
  },
  {
    cases: /^Image cache\.registry\.tag: /,
    reason: "kpack's webhook does not check the cache tag; a malformed one fails every build when the lifecycle exports the cache",
  },
  {
    cases: /: (not a Kubernetes name|empty Secret name)$/,
    reason: "kpack checks only that a referenced name is given (or not even that); no object can have that name, so the reference never resolves",
  },
  {
    cases:
      /^(Builder (lifecycle|serviceAccountName)|Buildpack serviceAccountName|Image (serviceAccountName|imageTaggingStrategy|projectDescriptorPath|defaultProcess|source\.blob\.auth)): empty$|^Builder order\[0\]\.group\[0\]: empty version$/,
    reason:
      "kpack reads an empty string as 'not set' and applies its default; pulumi-kpack asks to leave the input out, so a value computed empty by mistake does not silently mean the default",
  },
  {
    cases: /^Builder (store: empty|order\[0\]\.group\[0\]: kind without name)$/,
    reason:
      "kpack's validateObjectRef drops its own missing-name error once the kind is right, so the webhook takes a reference to no name, which never resolves",
  },
  {
    cases: /: a typo'd (field|kind)( inside)?$/,
    reason: "kpack's webhook admits fields its types lack and its CRDs keep them, so a misspelt field would silently do nothing",
  },
  {
    cases: /^Builder additionalLabels: empty key$/,
    reason: "an OCI label without a key is no label a tool can ask for; kpack would write it as it is",
  },
  {
    cases: /^Builder order: (empty list|missing|a group without buildpacks)$/,
    reason: "kpack builds a builder with no buildpacks to detect, so every build on it fails detection",
  },
  {
    cases: /^ClusterBuilder order\[0\]\.group\[0\]: Buildpack by name$/,
    reason: "kpack resolves no namespaced Buildpack for a ClusterBuilder: the webhook takes the kind, and the builder never gets ready",
  },
  {
    cases: /^Image source\.(git|blob)\.url: (file URL|no scheme|ftp URL)$/,
    reason: "kpack checks only that a URL is given, but cannot clone or download from these (README, 'Checked offline')",
  },
  {
    cases: /^Image imageTaggingStrategy: bad value$/,
    reason: "kpack treats any value but None as BuildNumber without a word, so a typo would silently keep pushing build-number tags",
  },
  {
    cases: /^Image build\.env\[0\]\.name: /,
    reason:
      "kpack checks no env names; pulumi-kpack keeps Kubernetes' portable rule, so a name a buildpack's shell cannot read (a digit first, a space, '=', none) fails at preview",
  },
  {
    cases: /^Image build\.env\[0\]: value and valueFrom$/,
    reason: "the apiserver refuses a Pod env var with both, so kpack's build pod would be refused",
  },
  {
    cases: /^Image build\.tolerations\[0\]\.operator: unknown operator$/,
    reason: "the apiserver refuses a Pod toleration with another operator, so kpack's build pod would be refused",
  },
  { cases: /^Image build\.buildTimeout: 0$/, reason: "kpack makes it the build pod's activeDeadlineSeconds, which the apiserver refuses below 1" },
  { cases: /^Image cache\.volume\.size: negative$/, reason: "the PersistentVolumeClaim kpack makes for the cache would be refused" },
  {
    cases: /^Image cache: (empty object|volume without size)$/,
    reason:
      "kpack reads these as 'no cache at all'; pulumi-kpack offers only volume or registry (or leaving cache out for kpack's default), which its cache transition rules (cache.ts) cover",
  },
];

interface Case {
  id: string;
  def: Kind;
  /** The input path check must name when it rejects the input. */
  field: string;
  args: Props;
}

/** `args` with the value at `path` replaced (undefined: removed), making containers on the way. */
function withValue(args: Props, path: PropertyKey[], value: unknown): Props {
  const root = structuredClone(args);
  let cur: Record<PropertyKey, unknown> = root;
  path.forEach((key, i) => {
    if (i === path.length - 1) {
      if (value === undefined) delete cur[key];
      else cur[key] = value;
      return;
    }
    if (!cur[key] || typeof cur[key] !== "object") cur[key] = typeof path[i + 1] === "number" ? [] : {};
    cur = cur[key] as Record<PropertyKey, unknown>;
  });
  return root;
}

/** The cases one field makes with each of `values` put into `from` (default: the kind's base). */
function vary(def: Kind, path: PropertyKey[], values: Array<[string, unknown]>, from: Props = base(def)): Case[] {
  const field = formatPath(path);
  return values.map(([label, value]) => ({ id: `${def.kind} ${field}: ${label}`, def, field, args: withValue(from, path, value) }));
}

const long = (c: string, n: number) => c.repeat(n);

function cases(): Case[] {
  const out: Case[] = [];
  const withSource = (source: Props) => ({ ...base(image), source });
  const withBuild = (build: Props) => ({ ...base(image), build });

  // Every image and tag field of every kind, with every reference form.
  const refFields: Array<[Kind, PropertyKey[], Props?]> = [
    [clusterStack, ["buildImage"]],
    [clusterStack, ["runImage"]],
    [clusterStore, ["sources", 0, "image"]],
    [clusterLifecycle, ["image"]],
    [clusterBuildpack, ["image"]],
    [buildpack, ["image"]],
    [image, ["source", "registry", "image"], withSource({ registry: { image: `${R}/src/app:1` } })],
    [builder, ["tag"]],
    [clusterBuilder, ["tag"]],
    [image, ["tag"]],
    [image, ["additionalTags", 0]],
    [image, ["cache", "registry", "tag"], { ...base(image), cache: { registry: { tag: `${R}/team/app-cache` } } }],
  ];
  for (const [def, path, from] of refFields) out.push(...vary(def, path, REFS, from));

  const sa = (name: string, namespace: string) => ({ name, namespace });
  const saRefs: Array<[string, unknown]> = [
    ["given", sa("builder", "kpack")],
    ["name empty", sa("", "kpack")],
    ["namespace empty", sa("builder", "")],
    ["not a Kubernetes name", sa("Builder_1", "kpack")],
  ];

  // ClusterStack, ClusterStore, ClusterLifecycle, ClusterBuildpack, Buildpack.
  out.push(
    ...vary(
      clusterStack,
      ["stackId"],
      [
        ["empty", ""],
        ["missing", undefined],
        ["with spaces", "my stack"],
      ],
    ),
  );
  out.push(...vary(clusterStack, ["serviceAccountRef"], saRefs));
  out.push(
    ...vary(
      clusterStack,
      ["name"],
      [
        ["253 characters", long("s", 253)],
        ["254 characters", long("s", 254)],
        ["with dots", "base.v1"],
      ],
    ),
  );
  out.push(
    ...vary(
      clusterStore,
      ["sources"],
      [
        ["empty list", []],
        ["missing", undefined],
        ["two images", [{ image: `${R}/buildpacks/java:18` }, { image: `${R}/buildpacks/node:1` }]],
      ],
    ),
  );
  out.push(
    ...vary(clusterStore, ["sources", 1, "image"], [["second image uppercase", `${R}/Buildpacks/Node:1`]], {
      sources: [{ image: `${R}/buildpacks/java:18` }, {}],
    }),
  );
  out.push(...vary(clusterStore, ["serviceAccountRef"], saRefs.slice(0, 3)));
  out.push(...vary(clusterLifecycle, ["serviceAccountRef"], saRefs.slice(0, 3)));
  out.push(...vary(clusterBuildpack, ["serviceAccountRef"], saRefs.slice(0, 3)));
  out.push(
    ...vary(
      buildpack,
      ["serviceAccountName"],
      [
        ["given", "puller"],
        ["empty", ""],
        ["not a Kubernetes name", "Puller_1"],
      ],
    ),
  );

  // Builder and ClusterBuilder: references and order forms.
  out.push(
    ...vary(
      builder,
      ["stack"],
      [
        ["empty", ""],
        ["not a Kubernetes name", "Base_1"],
      ],
    ),
  );
  out.push(
    ...vary(
      builder,
      ["store"],
      [
        ["empty", ""],
        ["missing", undefined],
      ],
    ),
  );
  out.push(
    ...vary(
      builder,
      ["lifecycle"],
      [
        ["custom", "lifecycle-0-20"],
        ["empty", ""],
      ],
    ),
  );
  out.push(
    ...vary(
      builder,
      ["serviceAccountName"],
      [
        ["given", "pusher"],
        ["empty", ""],
      ],
    ),
  );
  out.push(
    ...vary(
      builder,
      ["additionalLabels"],
      [
        ["given", { team: "payments", "io.buildpacks.note": "" }],
        ["empty key", { "": "x" }],
      ],
    ),
  );
  out.push(...vary(builder, ["name"], [["253 characters", long("b", 253)]]));
  out.push(
    ...vary(
      builder,
      ["order"],
      [
        ["empty list", []],
        ["missing", undefined],
        ["two groups", [{ group: [{ id: "paketo-buildpacks/java" }] }, { group: [{ id: "paketo-buildpacks/nodejs" }] }]],
        ["a group without buildpacks", [{ group: [] }]],
      ],
    ),
  );
  const java = "paketo-buildpacks/java";
  out.push(
    ...vary(
      builder,
      ["order", 0, "group", 0],
      [
        ["id and version", { id: java, version: "18.5.0" }],
        ["optional id", { id: java, optional: true }],
        ["ClusterBuildpack by name", { kind: "ClusterBuildpack", name: "java" }],
        ["Buildpack by name with id", { kind: "Buildpack", name: "java", id: java }],
        ["empty entry", {}],
        ["empty id", { id: "" }],
        ["empty version", { id: java, version: "" }],
        ["kind without name", { kind: "ClusterBuildpack" }],
        ["name without kind", { name: "java" }],
        ["kind ClusterStore", { kind: "ClusterStore", name: "java" }],
        ["image entry", { image: `${R}/buildpacks/java:18` }],
      ],
    ),
  );
  out.push(...vary(clusterBuilder, ["serviceAccountRef"], [["missing", undefined], ...saRefs.slice(1, 3)]));
  out.push(
    ...vary(
      clusterBuilder,
      ["order", 0, "group", 0],
      [
        ["ClusterBuildpack by name", { kind: "ClusterBuildpack", name: "java" }],
        ["Buildpack by name", { kind: "Buildpack", name: "java" }],
      ],
    ),
  );

  // Image: name, builder, source.
  out.push(
    ...vary(
      image,
      ["name"],
      [
        ["63 characters", long("i", 63)],
        ["64 characters", long("i", 64)],
        ["with dots", "app.v1"],
        ["with '_'", "app_1"],
      ],
    ),
  );
  out.push(
    ...vary(
      image,
      ["builder"],
      [
        ["a Builder", { kind: "Builder", name: "java" }],
        ["kind Foo", { kind: "Foo", name: "java" }],
        ["name empty", { kind: "ClusterBuilder", name: "" }],
        ["not a Kubernetes name", { kind: "ClusterBuilder", name: "Default_1" }],
      ],
    ),
  );
  out.push(
    ...vary(
      image,
      ["serviceAccountName"],
      [
        ["given", "builder"],
        ["empty", ""],
      ],
    ),
  );
  out.push(
    ...vary(
      image,
      ["source"],
      [
        ["blob", { blob: { url: "http://127.0.0.1:8080/app.tgz" } }],
        ["registry", { registry: { image: `${R}/src/app:1` } }],
        ["git with subPath", { ...GIT, subPath: "services/api" }],
        ["git and blob", { ...GIT, blob: { url: "http://127.0.0.1:8080/app.tgz" } }],
        ["none", {}],
        ["only subPath", { subPath: "services/api" }],
      ],
    ),
  );
  out.push(
    ...vary(
      image,
      ["source", "git", "url"],
      [
        ["empty", ""],
        ["scp-like", "git@127.0.0.1:team/app.git"],
        ["ssh URL", "ssh://git@127.0.0.1:2222/team/app.git"],
        ["file URL", "file:///srv/git/app.git"],
        ["no scheme", "127.0.0.1/team/app.git"],
      ],
    ),
  );
  out.push(
    ...vary(
      image,
      ["source", "git", "revision"],
      [
        ["empty", ""],
        ["missing", undefined],
        ["a commit", "0123456789abcdef0123456789abcdef01234567"],
      ],
    ),
  );
  out.push(...vary(image, ["source", "git"], [["a typo'd field", { url: GIT.git.url, branch: "main" }]]));
  const blob = withSource({ blob: { url: "http://127.0.0.1:8080/app.tgz" } });
  out.push(
    ...vary(
      image,
      ["source", "blob", "url"],
      [
        ["empty", ""],
        ["ftp URL", "ftp://127.0.0.1/app.tgz"],
      ],
      blob,
    ),
  );
  out.push(
    ...vary(
      image,
      ["source", "blob", "auth"],
      [
        ["helper", "helper"],
        ["secret", "secret"],
        ["basic", "basic"],
        ["empty", ""],
      ],
      blob,
    ),
  );
  out.push(
    ...vary(
      image,
      ["source", "blob", "stripComponents"],
      [
        ["0", 0],
        ["2", 2],
        ["-1", -1],
        ["1.5", 1.5],
      ],
      blob,
    ),
  );
  const registrySource = withSource({ registry: { image: `${R}/src/app:1` } });
  out.push(
    ...vary(
      image,
      ["source", "registry", "imagePullSecrets"],
      [
        ["given", [{ name: "pull" }]],
        ["empty Secret name", [{ name: "" }]],
      ],
      registrySource,
    ),
  );

  // Image: tags, cache, history, tagging.
  out.push(
    ...vary(
      image,
      ["additionalTags"],
      [
        ["empty list", []],
        ["another port", ["127.0.0.1:5001/team/app:stable"]],
        ["two on the same registry", [`${R}/team/app:stable`, `${R}/team/app:latest`]],
      ],
    ),
  );
  out.push(
    ...vary(
      image,
      ["cache"],
      [
        ["volume", { volume: { size: "2G" } }],
        ["volume on a StorageClass", { volume: { size: "2G", storageClassName: "standard" } }],
        ["registry", { registry: { tag: `${R}/team/app-cache` } }],
        ["volume and registry", { volume: { size: "2G" }, registry: { tag: `${R}/team/app-cache` } }],
        ["empty object", {}],
        ["volume without size", { volume: {} }],
        ["a typo'd field", { volume: { size: "2G", class: "standard" } }],
      ],
    ),
  );
  const volume = { ...base(image), cache: { volume: { size: "2G" } } };
  out.push(
    ...vary(
      image,
      ["cache", "volume", "size"],
      [
        ["binary suffix", "5Gi"],
        ["not a quantity", "lots"],
        ["lower-case g", "2g"],
        ["negative", "-1G"],
      ],
      volume,
    ),
  );
  for (const limit of ["failedBuildHistoryLimit", "successBuildHistoryLimit"]) {
    out.push(
      ...vary(
        image,
        [limit],
        [
          ["0", 0],
          ["1", 1],
          ["-1", -1],
          ["1.5", 1.5],
          ["100", 100],
        ],
      ),
    );
  }
  out.push(
    ...vary(
      image,
      ["imageTaggingStrategy"],
      [
        ["None", "None"],
        ["BuildNumber", "BuildNumber"],
        ["bad value", "Always"],
        ["empty", ""],
      ],
    ),
  );
  out.push(
    ...vary(
      image,
      ["projectDescriptorPath"],
      [
        ["given", "deploy/project.toml"],
        ["empty", ""],
      ],
    ),
  );
  out.push(
    ...vary(
      image,
      ["defaultProcess"],
      [
        ["given", "web"],
        ["empty", ""],
      ],
    ),
  );
  out.push(
    ...vary(
      image,
      ["cosign", "annotations", 0],
      [
        ["given", { name: "team", value: "payments" }],
        ["name empty", { name: "", value: "payments" }],
        ["value empty", { name: "team", value: "" }],
      ],
    ),
  );

  // Image: build pod settings.
  const env = withBuild({ env: [{ name: "BP_JVM_VERSION", value: "21" }] });
  out.push(
    ...vary(
      image,
      ["build", "env", 0, "name"],
      [
        ["dotted", "my.var-1"],
        ["digit first", "1BAD"],
        ["space", "MY VAR"],
        ["'='", "A=B"],
        ["empty", ""],
      ],
      env,
    ),
  );
  out.push(
    ...vary(
      image,
      ["build", "env", 0],
      [
        ["configMapKeyRef", { name: "BP_OPTS", valueFrom: { configMapKeyRef: { name: "opts", key: "bp" } } }],
        ["secretKeyRef", { name: "TOKEN", valueFrom: { secretKeyRef: { name: "token", key: "t" } } }],
        ["value and valueFrom", { name: "BP_OPTS", value: "x", valueFrom: { configMapKeyRef: { name: "opts", key: "bp" } } }],
      ],
      env,
    ),
  );
  out.push(
    ...vary(
      image,
      ["build", "nodeSelector"],
      [
        ["disk type", { disktype: "ssd" }],
        ["kubernetes.io/os", { "kubernetes.io/os": "linux" }],
      ],
      withBuild({}),
    ),
  );
  out.push(
    ...vary(
      image,
      ["build", "services"],
      [
        ["one", [{ kind: "Secret", name: "db" }]],
        [
          "two of one name",
          [
            { kind: "Secret", name: "db" },
            { kind: "Secret", name: "db" },
          ],
        ],
        ["kind empty", [{ kind: "", name: "db" }]],
        ["upper-case name", [{ kind: "Secret", name: "Db" }]],
      ],
      withBuild({}),
    ),
  );
  out.push(
    ...vary(image, ["build", "services", 0, "name"], [["not a Kubernetes name", "-db"]], withBuild({ services: [{ kind: "Secret", name: "db" }] })),
  );
  out.push(
    ...vary(
      image,
      ["build", "resources"],
      [
        ["limits", { limits: { cpu: "2", memory: "2Gi" }, requests: { cpu: "500m" } }],
        ["not a quantity", { limits: { memory: "lots" } }],
      ],
      withBuild({}),
    ),
  );
  const toleration = withBuild({ tolerations: [{ key: "builds", operator: "Exists", effect: "NoSchedule" }] });
  out.push(
    ...vary(
      image,
      ["build", "tolerations", 0, "operator"],
      [
        ["Equal", "Equal"],
        ["unknown operator", "Sometimes"],
      ],
      toleration,
    ),
  );
  out.push(
    ...vary(
      image,
      ["build", "tolerations", 0, "tolerationSeconds"],
      [
        ["60", 60],
        ["1.5", 1.5],
      ],
      toleration,
    ),
  );
  const nodeAffinity = {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchExpressions: [{ key: "disktype", operator: "In", values: ["ssd"] }] }],
    },
  };
  out.push(
    ...vary(
      image,
      ["build", "affinity"],
      [
        ["nodeAffinity", { nodeAffinity }],
        [
          "podAntiAffinity",
          {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 10, podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: { app: "x" } } } },
              ],
            },
          },
        ],
        ["a typo'd kind", { nodeAfinity: nodeAffinity }],
        ["a typo'd field inside", { nodeAffinity: { requiredDuringScheduling: nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution } }],
        ["a string", { nodeAffinity: "disktype=ssd" }],
      ],
      withBuild({}),
    ),
  );
  out.push(
    ...vary(
      image,
      ["build", "buildTimeout"],
      [
        ["1800", 1800],
        ["0", 0],
        ["1.5", 1.5],
      ],
      withBuild({}),
    ),
  );
  out.push(
    ...vary(
      image,
      ["build", "creationTime"],
      [
        ["now", "now"],
        ["a timestamp", "1700000000"],
        ["before 1970", "-86400"],
        ["with a '+'", "+1700000000"],
        ["a word", "yesterday"],
        ["beyond 64 bits", "99999999999999999999"],
      ],
      withBuild({}),
    ),
  );
  out.push(
    ...vary(
      image,
      ["build", "runtimeClassName"],
      [
        ["given", "gvisor"],
        ["not a Kubernetes name", "GVisor_1"],
      ],
      withBuild({}),
    ),
  );
  out.push(...vary(image, ["build", "schedulerName"], [["given", "batch"]], withBuild({})));
  out.push(...vary(image, ["build"], [["a typo'd field", { envs: [{ name: "BP_JVM_VERSION", value: "21" }] }]]));
  return out;
}

/**
 * The spec a user's input maps to, the way the provider's manifests map it,
 * defaults included, but without requiring valid input: for inputs check
 * rejects (those it accepts go through toObject, and must map alike).
 */
function rawSpec(def: Kind, a: Props): Props {
  const ref = (k: string, name: unknown) => (name === undefined ? undefined : { kind: k, name });
  switch (def.kind) {
    case "ClusterStack":
      return { id: a.stackId, buildImage: { image: a.buildImage }, runImage: { image: a.runImage }, serviceAccountRef: a.serviceAccountRef };
    case "ClusterStore":
      return { sources: a.sources, serviceAccountRef: a.serviceAccountRef };
    case "ClusterLifecycle":
    case "ClusterBuildpack":
      return { image: a.image, serviceAccountRef: a.serviceAccountRef };
    case "Buildpack":
      return { image: a.image, serviceAccountName: a.serviceAccountName ?? "default" };
    case "Builder":
    case "ClusterBuilder": {
      const spec = {
        tag: a.tag,
        stack: ref("ClusterStack", a.stack),
        store: ref("ClusterStore", a.store),
        lifecycle: ref("ClusterLifecycle", a.lifecycle ?? DEFAULT_LIFECYCLE),
        order: a.order,
        additionalLabels: a.additionalLabels,
      };
      return def.kind === "Builder"
        ? { ...spec, serviceAccountName: a.serviceAccountName ?? "default" }
        : { ...spec, serviceAccountRef: a.serviceAccountRef };
    }
    case "Image":
      // The Image manifest copies its fields as given, so it maps raw input too.
      return def.object.manifest(a as unknown as CommonInputs).spec;
    default:
      throw new Error(`no mapping for ${def.kind}`);
  }
}

/** The object for inputs check rejects: the provider's metadata around rawSpec's spec. */
function rawObject(def: Kind, inputs: Props): KubeObject {
  const raw: KindDefinition<CommonInputs> = { ...def.object, manifest: (a) => ({ spec: compact(rawSpec(def, a as unknown as Props)) }) };
  return toObject(raw, inputs as unknown as CommonInputs);
}

/** What the apiserver (with kpack's webhooks) made of a dry-run apply. */
type Admission = { accepted: true; object: KubeObject } | { accepted: false; message: string; byWebhook: boolean };

async function admit(k: Kube, obj: KubeObject): Promise<Admission> {
  try {
    const object = await k.objects.patch(obj, undefined, "All", FIELD_MANAGER, true, k8s.PatchStrategy.ServerSideApply);
    return { accepted: true, object };
  } catch (e) {
    const status = httpStatus(e);
    const message = apiMessage(e);
    // A refusal is a 400 or 422 with the server's reason; anything else (webhook down, 404, conflict) is the test's failure.
    if ((status !== 400 && status !== 422) || webhookUnreachable(message))
      throw new Error(`dry-run apply of ${obj.kind} ${obj.metadata?.name} failed (HTTP ${status}): ${message}`, { cause: e });
    return { accepted: false, message, byWebhook: /admission webhook "(validation|defaults)\.webhook\.kpack\.io" denied the request/.test(message) };
  }
}

interface Result {
  c: Case;
  failures: string[];
  admission: Admission;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** Whether a check failure reason names `field` (itself, or a field inside it). */
const names = (reason: string, field: string) => new RegExp(`: ${escape(field)}[:.[]`).test(reason);

describe("preview ⇔ webhook parity, proven against the real webhook", function () {
  let results: Result[] = [];
  let webhookCost = "";

  before(async function () {
    const env = await testEnv();
    await env.kpack();
    const ns = await env.namespace("parity");
    const k = kube({ kubeconfig: env.cluster.kubeconfig, context: env.cluster.context });
    const all = cases();
    assert.equal(new Set(all.map((c) => c.id)).size, all.length, "case ids are unique");
    results = [];
    const callsBefore = webhookCalls(await metricsText(env.kubeConfig));
    for (const [i, c] of all.entries()) {
      const namespaced = c.def.naming?.namespaced === true;
      const news: Props = { logicalName: `parity-${i}`, providerVersion: "0.1.0", ...(namespaced ? { namespace: ns } : {}), ...c.args };
      const r = check(c.def, undefined, news);
      const failures = (r.failures ?? []).map((f) => f.reason);
      const inputs = r.inputs as Props;
      let obj: KubeObject;
      if (failures.length === 0) {
        obj = toObject(c.def.object, inputs as unknown as CommonInputs);
        // The raw mapping must agree with the provider's where both apply, or it would judge other objects.
        assert.deepEqual(compact(rawSpec(c.def, inputs)), obj.spec, `${c.id}: rawSpec maps like the provider's manifest`);
      } else {
        obj = rawObject(c.def, inputs);
      }
      results.push({ c, failures, admission: await admit(k, obj) });
    }
    // What kpack's webhooks cost the apiserver per call, over this run's dry-run applies.
    const callsAfter = webhookCalls(await metricsText(env.kubeConfig));
    webhookCost = [...callsAfter]
      .filter(([name]) => /\.webhook\.kpack\.io$/.test(name))
      .map(([name, a]) => {
        const b = callsBefore.get(name) ?? { calls: 0, seconds: 0 };
        const calls = a.calls - b.calls;
        return `${name}: ${calls} calls, ${calls ? (((a.seconds - b.seconds) / calls) * 1000).toFixed(2) : "-"} ms each`;
      })
      .join("; ");
  });

  it("covers every kind with at least 80 inputs, and the webhook really judged them", () => {
    assert.ok(results.length >= 80, `${results.length} inputs`);
    for (const [def] of BASE)
      assert.ok(
        results.some((r) => r.c.def === def && !r.admission.accepted),
        `${def.kind}: some input the server rejects`,
      );
    // The validating webhook answered (its own denials) and the defaulting one ran (kpack's default cache on a cluster with a default StorageClass).
    assert.ok(
      results.some((r) => !r.admission.accepted && r.admission.byWebhook),
      "kpack's webhook denied inputs",
    );
    const plain = results.find((r) => r.c.id === "Image tag: plain");
    assert.ok(plain?.admission.accepted, "the base Image is admitted");
    assert.deepEqual(
      (plain.admission.object.spec as { cache?: unknown }).cache,
      { volume: { size: "2G" } },
      "kpack's defaulting webhook set its cache",
    );
  });

  it("check rejects every input the webhook rejects, naming the field", () => {
    const lax = results.filter((r) => !r.admission.accepted && r.failures.length === 0);
    assert.deepEqual(
      lax.map((r) => `${r.c.id}: ${r.admission.accepted ? "" : r.admission.message}`),
      [],
      "check accepts what the server rejects",
    );
    const unnamed = results.filter((r) => !r.admission.accepted && r.failures.length > 0 && !r.failures.some((f) => names(f, r.c.field)));
    assert.deepEqual(
      unnamed.map((r) => `${r.c.id}: ${r.failures.join(" | ")}`),
      [],
      "check's message names the field",
    );
  });

  it("check accepts every input the webhook accepts, but for the deliberate differences", () => {
    const excused = (r: Result) => DELIBERATE_DIFFERENCES.some((d) => d.cases.test(r.c.id));
    const strict = results.filter((r) => r.admission.accepted && r.failures.length > 0);
    assert.deepEqual(
      strict.filter((r) => !excused(r)).map((r) => `${r.c.id}: ${r.failures.join(" | ")}`),
      [],
      "check rejects what kpack accepts, with no deliberate reason",
    );
    // Every entry of the table explains a difference that exists.
    const stale = DELIBERATE_DIFFERENCES.filter((d) => !strict.some((r) => d.cases.test(r.c.id)));
    assert.deepEqual(
      stale.map((d) => String(d.cases)),
      [],
      "deliberate differences that no input shows",
    );

    const rejected = results.filter((r) => !r.admission.accepted);
    const byWebhook = rejected.filter((r) => !r.admission.accepted && r.admission.byWebhook).length;
    console.log(
      `      webhook parity: ${results.length} inputs, ${rejected.length} rejected by the apiserver (${byWebhook} by kpack's webhook, ${rejected.length - byWebhook} by the apiserver's own checks), ` +
        `${results.filter((r) => r.failures.length > 0).length} rejected by check, ${strict.length} deliberate differences (check stricter, in ${DELIBERATE_DIFFERENCES.length} rules)`,
    );
    console.log(`      kpack's webhooks as the apiserver timed them: ${webhookCost}`);
    // The README states these figures; they must be this run's.
    const readme = fs.readFileSync(path.join(repoRoot, "README.md"), "utf8");
    const stated =
      /sends (\d+) inputs .*? The apiserver refuses (\d+) of them \((\d+) kpack's webhook, (\d+) the CRD schemas\).*? Check refuses (\d+) inputs the webhook takes, in the (\d+) deliberate differences/s.exec(
        readme,
      );
    assert.ok(stated, "the README's parity figures");
    assert.deepEqual(
      stated.slice(1).map(Number),
      [results.length, rejected.length, byWebhook, rejected.length - byWebhook, strict.length, DELIBERATE_DIFFERENCES.length],
      "the README's parity figures are this run's",
    );
  });
});
