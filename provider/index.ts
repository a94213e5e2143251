import { setStackAccess } from "./kube/client";
import type { ClusterAccess } from "./kube/client";
import { handlersOf, ResourceHandlers } from "./lifecycle";
import { builder } from "./kinds/builder";
import { buildpack } from "./kinds/buildpack";
import { clusterBuilder } from "./kinds/cluster-builder";
import { clusterBuildpack } from "./kinds/cluster-buildpack";
import { clusterLifecycle } from "./kinds/cluster-lifecycle";
import { clusterStack } from "./kinds/cluster-stack";
import { clusterStore } from "./kinds/cluster-store";
import { image } from "./kinds/image";
import { kpackInstallation } from "./kinds/kpack-installation";
import type { Props } from "./values";

/**
 * Entry point of the dynamic provider: the serialized shim (sdk/shim.ts) calls
 * dispatch(kind, method, args). This signature is the stable contract between
 * state written by any pulumi-kpack version and the installed code.
 */
export const kinds: Record<string, ResourceHandlers> = {
  ClusterStack: handlersOf(clusterStack),
  ClusterStore: handlersOf(clusterStore),
  ClusterLifecycle: handlersOf(clusterLifecycle),
  ClusterBuildpack: handlersOf(clusterBuildpack),
  Buildpack: handlersOf(buildpack),
  Builder: handlersOf(builder),
  ClusterBuilder: handlersOf(clusterBuilder),
  Image: handlersOf(image),
  KpackInstallation: handlersOf(kpackInstallation),
};

export type Method = "configure" | keyof ResourceHandlers;

const str = (v: unknown): string => (typeof v === "string" ? v : "");
const props = (v: unknown): Props => (v && typeof v === "object" ? (v as Props) : {});

export async function dispatch(kind: string, method: Method, args: unknown[]): Promise<unknown> {
  if (method === "configure") {
    const a = props(args[0]);
    const access: ClusterAccess = { kubeconfig: str(a.kubeconfig) || undefined, context: str(a.context) || undefined };
    setStackAccess(access);
    return;
  }
  const h = kinds[kind];
  if (!h) {
    throw new Error(
      `pulumi-kpack: this version has no resource kind "${kind}" (it has ${Object.keys(kinds).join(", ")}). Install the pulumi-kpack version that created it.`,
    );
  }
  switch (method) {
    case "check":
      return h.check(args[0] === undefined ? undefined : props(args[0]), props(args[1]));
    case "diff":
      return h.diff(str(args[0]), props(args[1]), props(args[2]));
    case "create":
      return h.create(props(args[0]));
    case "read":
      return h.read(str(args[0]), args[1] === undefined ? undefined : props(args[1]));
    case "update":
      return h.update(str(args[0]), props(args[1]), props(args[2]));
    case "delete":
      return h.delete(str(args[0]), props(args[1]));
    default:
      throw new Error(`pulumi-kpack: unknown provider method "${String(method)}".`);
  }
}
