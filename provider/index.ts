import * as engine from "./engine";
import type { CommonArgs, KindDefinition } from "./engine";
import { builder } from "./builder";
import { buildpack } from "./buildpack";
import { clusterBuilder } from "./clusterbuilder";
import { clusterBuildpack } from "./clusterbuildpack";
import { clusterLifecycle } from "./clusterlifecycle";
import { clusterStack } from "./clusterstack";
import { clusterStore } from "./clusterstore";
import { image } from "./image";
import { awaitImage } from "./builds/wait";
import { ClusterAccess, setStackAccess } from "./kube/client";
import { kpackInstallation } from "./kpackinstallation";
import type { Props } from "./values";

/**
 * Entry point of the dynamic provider: the serialized shim (sdk/shim.ts) calls
 * dispatch(kind, method, args). This signature is the stable contract between
 * state written by any pulumi-kpack version and the installed code.
 */
export const kinds: Record<string, KindDefinition<CommonArgs>> = {
  ClusterStack: clusterStack as unknown as KindDefinition<CommonArgs>,
  ClusterStore: clusterStore as unknown as KindDefinition<CommonArgs>,
  ClusterLifecycle: clusterLifecycle as unknown as KindDefinition<CommonArgs>,
  ClusterBuildpack: clusterBuildpack as unknown as KindDefinition<CommonArgs>,
  Buildpack: buildpack as unknown as KindDefinition<CommonArgs>,
  Builder: builder as unknown as KindDefinition<CommonArgs>,
  ClusterBuilder: clusterBuilder as unknown as KindDefinition<CommonArgs>,
  // The Image's wait needs its Build: the I/O shell lives in builds/wait.ts.
  Image: { ...image, await: awaitImage } as unknown as KindDefinition<CommonArgs>,
};

export type Method = "configure" | "check" | "diff" | "create" | "read" | "update" | "delete";

/** Resources with a lifecycle of their own rather than the engine's one-object one. */
const handlers: Record<string, Record<Exclude<Method, "configure">, (...args: never[]) => unknown>> = {
  KpackInstallation: kpackInstallation,
};

export async function dispatch(kind: string, method: Method, args: unknown[]): Promise<unknown> {
  if (method === "configure") {
    setStackAccess(args[0] as ClusterAccess);
    return;
  }
  const handler = handlers[kind];
  if (handler) {
    const f = handler[method as Exclude<Method, "configure">] as ((...a: unknown[]) => unknown) | undefined;
    if (!f) throw new Error(`pulumi-kpack: unknown provider method "${String(method)}".`);
    return f(...args);
  }
  const def = kinds[kind];
  if (!def) {
    throw new Error(`pulumi-kpack: this version has no resource kind "${kind}" (it has ${[...Object.keys(kinds), ...Object.keys(handlers)].join(", ")}). Install the pulumi-kpack version that created it.`);
  }
  switch (method) {
    case "check":
      return engine.check(def, args[0] as Props | undefined, args[1] as Props);
    case "diff":
      return engine.diff(def, args[1] as Props, args[2] as Props);
    case "create":
      return engine.create(def, args[0] as Props);
    case "read":
      return engine.read(def, args[0] as string, args[1] as Props | undefined);
    case "update":
      return engine.update(def, args[1] as Props, args[2] as Props);
    case "delete":
      return engine.remove(def, args[0] as string, args[1] as Props);
    default:
      throw new Error(`pulumi-kpack: unknown provider method "${String(method)}".`);
  }
}
