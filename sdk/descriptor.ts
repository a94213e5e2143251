import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@kubernetes/client-node";
import { resolveDescriptor } from "../schema/descriptor";
import type { ClusterBuilderArgs } from "./cluster-builder";
import { ClusterBuilder } from "./cluster-builder";
import { ClusterBuildpack } from "./cluster-buildpack";
import { ClusterLifecycle } from "./cluster-lifecycle";
import { ClusterStack } from "./cluster-stack";
import { ClusterStore } from "./cluster-store";
import type { ClusterStackArgs } from "./cluster-stack";

/** Inputs every resource a Descriptor declares takes (cluster access, install, waits). */
type Shared = Pick<ClusterStackArgs, "kubeconfig" | "context" | "installKpack" | "timeoutSeconds" | "adopt">;

/**
 * Args of a Descriptor: the `kp import` descriptor, where its ClusterBuilders push, the stack ids, and the
 * cluster access, install and wait inputs (kubeconfig, context, installKpack, timeoutSeconds, adopt) that every
 * resource it declares takes.
 */
export interface DescriptorArgs extends Shared {
  /**
   * The dependency descriptor `kp import -f` reads: its YAML, or the parsed document.
   * apiVersion kp.kpack.io/v1, v1alpha3 or v1alpha1, kind DependencyDescriptor.
   */
  descriptor: string | Record<string, unknown>;
  /**
   * Where each ClusterBuilder's image goes: `<builderRepository>:clusterbuilder-<name>`, as kp tags
   * them in kp-config's default repository (e.g. `registry.example.com/team/builders`).
   */
  builderRepository: string;
  /**
   * The stack id of each ClusterStack, by descriptor name (kp reads it from the build image's
   * `io.buildpacks.stack.id` label; a program at preview cannot). `stackId` gives one for all.
   */
  stackIds?: Record<string, string>;
  /** The stack id of each ClusterStack stackIds gives none for; kp's `default` copy first takes that of the stack it copies. */
  stackId?: string;
  /** The ServiceAccount the ClusterBuilders push with (kp's: kp-config's, by default `default` in `kpack`). */
  serviceAccountRef?: {
    /** Name of the ServiceAccount. Default: `default`. */
    name: string;
    /** Its namespace. Default: `kpack`. */
    namespace: string;
  };
}

/**
 * The kpack objects of a `kp import` descriptor, declared as typed resources
 * under their descriptor names: ClusterLifecycles, ClusterBuildpacks,
 * ClusterStores, ClusterStacks and ClusterBuilders, with kp's defaults as kp
 * makes them (defaultClusterStack and defaultClusterBuilder copied under the
 * name `default`). A descriptor that is wrong fails the program at preview,
 * naming the entry. Two differences from kp: images are used where the
 * descriptor names them (no relocation), and the default lifecycle is named by
 * the descriptor's ClusterBuilders rather than written into kpack's own
 * default-lifecycle (schema/descriptor.ts says why).
 */
export class Descriptor extends pulumi.ComponentResource {
  /** The ClusterLifecycles, by descriptor name (v1alpha3's single `lifecycle` is named `lifecycle`). */
  readonly clusterLifecycles: Record<string, ClusterLifecycle> = {};
  /** The ClusterBuildpacks, by descriptor name, with kp's `default` copy of defaultClusterBuildpack. */
  readonly clusterBuildpacks: Record<string, ClusterBuildpack> = {};
  /** The ClusterStores, by descriptor name. */
  readonly clusterStores: Record<string, ClusterStore> = {};
  /** The ClusterStacks, by descriptor name, with kp's `default` copy of defaultClusterStack. */
  readonly clusterStacks: Record<string, ClusterStack> = {};
  /** The ClusterBuilders, by descriptor name, with kp's `default` copy of defaultClusterBuilder. */
  readonly clusterBuilders: Record<string, ClusterBuilder> = {};

  constructor(name: string, args: DescriptorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kpack:index:Descriptor", name, {}, opts);
    let doc: unknown = args.descriptor;
    if (typeof args.descriptor === "string") {
      try {
        doc = parseYaml(args.descriptor);
      } catch (e) {
        throw new Error(`Descriptor ${name}: descriptor: is not YAML: ${(e as Error).message.split("\n")[0]}`, { cause: e });
      }
    }
    const { descriptor: d, problems } = resolveDescriptor(doc);
    // The copy kp makes as "default" has the id of the stack it copies.
    const idOf = (s: { name: string; copyOf?: string }) =>
      args.stackIds?.[s.name] ?? (s.copyOf ? args.stackIds?.[s.copyOf] : undefined) ?? args.stackId;
    for (const [i, s] of (d?.clusterStacks ?? []).entries()) {
      if (!idOf(s))
        problems.push(
          `clusterStacks[${i}] (${s.name}): no stack id: kp reads it from the build image's io.buildpacks.stack.id label, which a program cannot at preview; give it in stackIds: { ${s.name}: "io.buildpacks.stacks.jammy" }, or stackId for all`,
        );
    }
    if (!d || problems.length) {
      throw new Error(`Descriptor ${name}: the descriptor is not one kp import takes:\n  ${problems.join("\n  ")}`);
    }
    const shared: Shared = {
      kubeconfig: args.kubeconfig,
      context: args.context,
      installKpack: args.installKpack,
      timeoutSeconds: args.timeoutSeconds,
      adopt: args.adopt,
    };
    const child = { parent: this };
    for (const l of d.clusterLifecycles)
      this.clusterLifecycles[l.name] = new ClusterLifecycle(`${name}-${l.name}`, { ...shared, name: l.name, image: l.image }, child);
    for (const b of d.clusterBuildpacks)
      this.clusterBuildpacks[b.name] = new ClusterBuildpack(`${name}-${b.name}`, { ...shared, name: b.name, image: b.image }, child);
    for (const s of d.clusterStores)
      this.clusterStores[s.name] = new ClusterStore(`${name}-${s.name}`, { ...shared, name: s.name, sources: s.sources }, child);
    for (const s of d.clusterStacks) {
      this.clusterStacks[s.name] = new ClusterStack(
        `${name}-${s.name}`,
        { ...shared, name: s.name, stackId: idOf(s)!, buildImage: s.buildImage.image, runImage: s.runImage.image },
        child,
      );
    }
    const lifecycle = d.defaultClusterLifecycle ? this.clusterLifecycles[d.defaultClusterLifecycle] : undefined;
    for (const b of d.clusterBuilders) {
      const builderArgs: ClusterBuilderArgs = {
        ...shared,
        name: b.name,
        tag: `${args.builderRepository}:clusterbuilder-${b.name}`,
        stack: this.clusterStacks[b.clusterStack],
        store: this.clusterStores[b.clusterStore],
        // The descriptor's default lifecycle, named (kp writes it into kpack's own default-lifecycle instead).
        ...(lifecycle ? { lifecycle } : {}),
        order: b.order.map((o) => ({
          group: o.group.map((e) =>
            e.kind === "ClusterBuildpack" && e.name && this.clusterBuildpacks[e.name]
              ? { buildpack: this.clusterBuildpacks[e.name], optional: e.optional }
              : e,
          ),
        })) as ClusterBuilderArgs["order"],
        serviceAccountRef: args.serviceAccountRef ?? { name: "default", namespace: "kpack" },
      };
      this.clusterBuilders[b.name] = new ClusterBuilder(`${name}-${b.name}`, builderArgs, child);
    }
    this.registerOutputs({});
  }
}

/** YAML through client-node's loader (js-yaml), loaded only by programs that use a Descriptor. */
function parseYaml(text: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { loadYaml } = require("@kubernetes/client-node") as typeof k8s;
  return loadYaml<unknown>(text);
}
