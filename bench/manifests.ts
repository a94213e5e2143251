import type { CommonInputs } from "../schema/common";
import { companionsOf, KindDefinition, toObject } from "../provider/kind";
import { clusterBuilder } from "../provider/kinds/cluster-builder";
import { clusterStack } from "../provider/kinds/cluster-stack";
import { clusterStore } from "../provider/kinds/cluster-store";
import { image } from "../provider/kinds/image";
import type { KubeObject } from "../provider/kube/objects";
import { toYaml } from "../devenv/kpack-manifest";

/**
 * The objects examples/many-images declares, written by the provider's own manifest
 * code (so kubectl applies exactly what `pulumi up` applies) as one YAML file,
 * in the order the engine applies them: stack, store, the builder's
 * ServiceAccount, Role and RoleBinding, builder, Images.
 */
export interface BenchConfig {
  namespace: string;
  registry: string;
  stackId: string;
  buildImage: string;
  runImage: string;
  buildpackage: string;
  buildpackId: string;
  sourceUrl: string;
  count: number;
  /** Suffix of the cluster-scoped names, so runs never share an object. */
  suffix: string;
}

/** The provider's checked inputs for raw args (check() adds the same bookkeeping keys). */
function objectsOf<A extends CommonInputs>(def: KindDefinition<A>, raw: Record<string, unknown>): KubeObject[] {
  const args = def.schema.inputs.parse({ ...raw, logicalName: String(raw.name), providerVersion: "bench" });
  return [
    ...companionsOf(def, args, `${def.kind} ${typeof raw.namespace === "string" && raw.namespace ? `${raw.namespace}/` : ""}${String(raw.name)}`),
    toObject(def, args),
  ];
}

export function benchObjects(c: BenchConfig): KubeObject[] {
  const stack = `base-${c.suffix}`;
  const store = `buildpacks-${c.suffix}`;
  const builder = `shared-${c.suffix}`;
  return [
    ...objectsOf(clusterStack.object, { name: stack, stackId: c.stackId, buildImage: c.buildImage, runImage: c.runImage }),
    ...objectsOf(clusterStore.object, { name: store, sources: [{ image: c.buildpackage }] }),
    ...objectsOf(clusterBuilder.object, {
      name: builder,
      tag: `${c.registry}/builder`,
      stack,
      store,
      order: [{ group: [{ id: c.buildpackId }] }],
      managedServiceAccount: { namespace: c.namespace },
    }),
    ...Array.from({ length: c.count }, (_, i) =>
      objectsOf(image.object, {
        name: `app-${i}`,
        namespace: c.namespace,
        tag: `${c.registry}/app-${i}`,
        builder: { kind: "ClusterBuilder", name: builder },
        source: { blob: { url: c.sourceUrl } },
      }),
    ).flat(),
  ];
}

export const benchYaml = (c: BenchConfig): string => toYaml(benchObjects(c));
