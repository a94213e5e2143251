import * as engine from "./engine";
import type { CommonArgs, KindDefinition } from "./engine";
import { clusterStack } from "./clusterstack";
import type { Props } from "./values";

/**
 * Entry point of the dynamic provider: the serialized shim (sdk/shim.ts) calls
 * dispatch(kind, method, args). This signature is the stable contract between
 * state written by any pulumi-kpack version and the installed code.
 */
export const kinds: Record<string, KindDefinition<CommonArgs>> = {
  ClusterStack: clusterStack as unknown as KindDefinition<CommonArgs>,
};

export type Method = "check" | "diff" | "create" | "read" | "update" | "delete";

export async function dispatch(kind: string, method: Method, args: unknown[]): Promise<unknown> {
  const def = kinds[kind];
  if (!def) {
    throw new Error(`pulumi-kpack: this version has no resource kind "${kind}" (it has ${Object.keys(kinds).join(", ")}). Install the pulumi-kpack version that created it.`);
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
