import { z } from "zod";
import { imageReference, objectName } from "./common";

/**
 * The dependency descriptor `kp import -f` reads (kpack-cli pkg/import):
 * kind DependencyDescriptor, apiVersion kp.kpack.io/v1, v1alpha3 or v1alpha1.
 * All three are read into the v1 form, as kp converts them; kp's defaults
 * become the copies kp makes: defaultClusterStack and defaultClusterBuilder
 * a ClusterStack and a ClusterBuilder named "default", defaultClusterBuildpack
 * a ClusterBuildpack named "default". One difference: kp writes the default
 * lifecycle's image into kpack's own ClusterLifecycle default-lifecycle, which
 * every builder without a lifecycle uses; a program that did so would delete
 * kpack's own object on destroy. Here the descriptor's ClusterBuilders name
 * the default lifecycle instead (v1alpha3's single `lifecycle` is the
 * ClusterLifecycle "lifecycle"). Pure: the SDK's Descriptor checks it in the
 * program, so a bad descriptor fails at preview, naming the entry.
 */

const source = z.object({ image: imageReference }).strict();
const named = z.object({ name: objectName });
const orderEntry = z
  .object({
    group: z
      .array(
        z
          .object({
            id: z.string().min(1).optional(),
            version: z.string().min(1).optional(),
            name: objectName.optional(),
            kind: z.enum(["ClusterBuildpack", "ClusterStore"]).optional(),
            optional: z.boolean().optional(),
          })
          .strict(),
      )
      .min(1, "must list at least one buildpack"),
  })
  .strict();

const clusterStack = named.extend({ buildImage: source, runImage: source }).strict();
const clusterStore = named.extend({ sources: z.array(source).min(1, "must list at least one buildpackage") }).strict();
const imageEntry = named.extend({ image: imageReference }).strict();
const clusterBuilderV3 = named
  .extend({ clusterStack: objectName, clusterStore: objectName, order: z.array(orderEntry).min(1, "must list at least one group") })
  .strict();

const v1 = z
  .object({
    apiVersion: z.literal("kp.kpack.io/v1"),
    kind: z.literal("DependencyDescriptor"),
    defaultClusterLifecycle: objectName.optional(),
    defaultClusterBuildpack: objectName.optional(),
    defaultClusterStack: objectName.optional(),
    defaultClusterBuilder: objectName.optional(),
    clusterLifecycles: z.array(imageEntry).optional(),
    clusterBuildpacks: z.array(imageEntry).optional(),
    clusterStores: z.array(clusterStore).optional(),
    clusterStacks: z.array(clusterStack).optional(),
    clusterBuilders: z.array(clusterBuilderV3).optional(),
  })
  .strict();
// v1 without lifecycles and buildpacks, and with one lifecycle image.
const v1alpha3 = v1
  .pick({ kind: true, defaultClusterStack: true, defaultClusterBuilder: true, clusterStores: true, clusterStacks: true, clusterBuilders: true })
  .extend({ apiVersion: z.literal("kp.kpack.io/v1alpha3"), lifecycle: z.object({ image: imageReference }).strict().optional() })
  .strict();
const v1alpha1 = z
  .object({
    apiVersion: z.literal("kp.kpack.io/v1alpha1"),
    kind: z.literal("DependencyDescriptor"),
    defaultStack: objectName.optional(),
    defaultClusterBuilder: objectName.optional(),
    stores: z.array(clusterStore).optional(),
    stacks: z.array(clusterStack).optional(),
    clusterBuilders: z.array(named.extend({ stack: objectName, store: objectName, order: z.array(orderEntry).min(1) }).strict()).optional(),
  })
  .strict();

export type DescriptorV1 = z.infer<typeof v1>;
export type DescriptorClusterBuilder = z.infer<typeof clusterBuilderV3>;

/** The descriptor in kp's v1 form with kp's default copies added: what the Descriptor component declares. */
export interface ResolvedDescriptor {
  /** The ClusterLifecycle the descriptor's ClusterBuilders use; none: kpack's default-lifecycle. */
  defaultClusterLifecycle?: string;
  clusterLifecycles: Array<{ name: string; image: string }>;
  clusterBuildpacks: Array<{ name: string; image: string }>;
  clusterStores: Array<{ name: string; sources: Array<{ image: string }> }>;
  /** `copyOf`: the stack kp's `default` copy was made from. */
  clusterStacks: Array<{ name: string; buildImage: { image: string }; runImage: { image: string }; copyOf?: string }>;
  clusterBuilders: DescriptorClusterBuilder[];
}

export const API_VERSIONS = ["kp.kpack.io/v1", "kp.kpack.io/v1alpha3", "kp.kpack.io/v1alpha1"] as const;

function toV1(doc: unknown): { v1?: DescriptorV1; problems: string[] } {
  const apiVersion = (doc as { apiVersion?: unknown } | null)?.apiVersion;
  const schema =
    apiVersion === "kp.kpack.io/v1"
      ? v1
      : apiVersion === "kp.kpack.io/v1alpha3"
        ? v1alpha3
        : apiVersion === "kp.kpack.io/v1alpha1"
          ? v1alpha1
          : undefined;
  if (!schema) return { problems: [`apiVersion: must be one of ${API_VERSIONS.join(", ")} (kp import's), but is ${JSON.stringify(apiVersion)}`] };
  const r = schema.safeParse(doc);
  if (!r.success) return { problems: r.error.issues.map((i) => `${pathOf(doc, i.path)}: ${i.message}`) };
  const d = r.data;
  if (d.apiVersion === "kp.kpack.io/v1") return { v1: d, problems: [] };
  if (d.apiVersion === "kp.kpack.io/v1alpha3") {
    const { lifecycle, apiVersion: _a, ...rest } = d;
    return {
      v1: {
        ...rest,
        apiVersion: "kp.kpack.io/v1",
        ...(lifecycle ? { clusterLifecycles: [{ name: "lifecycle", image: lifecycle.image }], defaultClusterLifecycle: "lifecycle" } : {}),
      },
      problems: [],
    };
  }
  return {
    v1: {
      apiVersion: "kp.kpack.io/v1",
      kind: d.kind,
      defaultClusterStack: d.defaultStack,
      defaultClusterBuilder: d.defaultClusterBuilder,
      clusterStores: d.stores,
      clusterStacks: d.stacks,
      clusterBuilders: d.clusterBuilders?.map((b) => ({ name: b.name, clusterStack: b.stack, clusterStore: b.store, order: b.order })),
    },
    problems: [],
  };
}

/** `clusterBuilders[1] (base)`: the entry's index and, where it has one, its name. */
function pathOf(doc: unknown, path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  let cur: unknown = doc;
  for (const p of path) {
    cur = (cur as Record<PropertyKey, unknown> | undefined)?.[p];
    if (typeof p === "number") {
      out += `[${p}]`;
      const name = (cur as { name?: unknown } | undefined)?.name;
      if (typeof name === "string" && name) out += ` (${name})`;
    } else out += out ? `.${String(p)}` : String(p);
  }
  return out || "(the descriptor)";
}

/**
 * Reads a parsed descriptor document: the objects to declare, or what is
 * wrong, each naming the entry (`clusterBuilders[0] (base): clusterStack: "jammy" is not …`).
 */
export function resolveDescriptor(doc: unknown): { descriptor?: ResolvedDescriptor; problems: string[] } {
  const { v1: d, problems } = toV1(doc);
  if (!d) return { problems };
  const lifecycles = [...(d.clusterLifecycles ?? [])];
  const buildpacks = [...(d.clusterBuildpacks ?? [])];
  const stores = [...(d.clusterStores ?? [])];
  const stacks: ResolvedDescriptor["clusterStacks"] = [...(d.clusterStacks ?? [])];
  const builders = [...(d.clusterBuilders ?? [])];
  const out: string[] = [];
  const unique = (what: string, list: Array<{ name: string }>) => {
    const seen = new Set<string>();
    list.forEach((e, i) => {
      if (seen.has(e.name)) out.push(`${what}[${i}] (${e.name}): name: ${e.name} appears twice in ${what}`);
      seen.add(e.name);
    });
  };
  unique("clusterLifecycles", lifecycles);
  unique("clusterBuildpacks", buildpacks);
  unique("clusterStores", stores);
  unique("clusterStacks", stacks);
  unique("clusterBuilders", builders);
  const names = (list: Array<{ name: string }>) => list.map((e) => e.name);
  const known = (what: string, list: Array<{ name: string }>, value: string | undefined, where: string) => {
    if (value !== undefined && !names(list).includes(value)) {
      out.push(`${where}: "${value}" is not one of the descriptor's ${what}${list.length ? ` (${names(list).join(", ")})` : " (it has none)"}`);
      return false;
    }
    return value !== undefined;
  };
  known("clusterLifecycles", lifecycles, d.defaultClusterLifecycle, "defaultClusterLifecycle");
  // kp's defaults: a copy under kpack's default name.
  if (known("clusterBuildpacks", buildpacks, d.defaultClusterBuildpack, "defaultClusterBuildpack") && d.defaultClusterBuildpack !== "default") {
    buildpacks.push({ name: "default", image: buildpacks.find((b) => b.name === d.defaultClusterBuildpack)!.image });
  }
  if (known("clusterStacks", stacks, d.defaultClusterStack, "defaultClusterStack") && d.defaultClusterStack !== "default") {
    const s = stacks.find((x) => x.name === d.defaultClusterStack)!;
    stacks.push({ ...s, name: "default", copyOf: s.name });
  }
  builders.forEach((b, i) => {
    known("clusterStacks", stacks, b.clusterStack, `clusterBuilders[${i}] (${b.name}): clusterStack`);
    known("clusterStores", stores, b.clusterStore, `clusterBuilders[${i}] (${b.name}): clusterStore`);
    b.order.forEach((o, j) =>
      o.group.forEach((e, k) => {
        const at = `clusterBuilders[${i}] (${b.name}): order[${j}].group[${k}]`;
        if (!e.id && !e.name) out.push(`${at}: must give a buildpack id, or the name of a ClusterBuildpack or ClusterStore`);
        if (e.kind === "ClusterBuildpack" && e.name) known("clusterBuildpacks", buildpacks, e.name, `${at}.name`);
      }),
    );
  });
  if (known("clusterBuilders", builders, d.defaultClusterBuilder, "defaultClusterBuilder") && d.defaultClusterBuilder !== "default") {
    builders.push({ ...builders.find((b) => b.name === d.defaultClusterBuilder)!, name: "default" });
  }
  if (out.length) return { problems: out };
  return {
    descriptor: {
      defaultClusterLifecycle: d.defaultClusterLifecycle,
      clusterLifecycles: lifecycles,
      clusterBuildpacks: buildpacks,
      clusterStores: stores,
      clusterStacks: stacks,
      clusterBuilders: builders,
    },
    problems: [],
  };
}
