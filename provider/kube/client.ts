import * as k8s from "@kubernetes/client-node";
import type { ClusterAccess } from "../../schema/common";

/**
 * How the provider reaches a cluster (ClusterAccess: schema/common.ts). Read
 * at call time inside the provider process: never captured in the serialized provider.
 */
export type { ClusterAccess };

export interface Kube {
  config: k8s.KubeConfig;
  objects: k8s.KubernetesObjectApi;
  /** Human-readable cluster address, for messages. */
  server: string;
}

// One client per distinct access within a provider process: discovery results
// are cached inside KubernetesObjectApi, so reuse matters for many resources.
const clients = new Map<string, Kube>();

// Stack config kpack:kubeconfig / kpack:context, given to this provider process by configure().
let stackAccess: ClusterAccess = {};

export function setStackAccess(access: ClusterAccess): void {
  stackAccess = { kubeconfig: access.kubeconfig || undefined, context: access.context || undefined };
}

/** A client for the cluster named by the resource's inputs, else the stack config, else KUBECONFIG / ~/.kube/config. */
export function kube(given: ClusterAccess): Kube {
  const access: ClusterAccess = {
    kubeconfig: given.kubeconfig ?? stackAccess.kubeconfig,
    context: given.context ?? (given.kubeconfig ? undefined : stackAccess.context),
  };
  const key = `${access.context ?? ""}\u0000${access.kubeconfig ?? ""}\u0000${access.kubeconfig ? "" : process.env.KUBECONFIG ?? ""}`;
  const cached = clients.get(key);
  if (cached) return cached;
  const config = new k8s.KubeConfig();
  try {
    if (access.kubeconfig) config.loadFromString(access.kubeconfig);
    else config.loadFromDefault();
  } catch (e) {
    // First line only: the YAML parser quotes the lines around the fault, which may hold keys or tokens.
    throw new Error(`Cannot read the kubeconfig${given.kubeconfig ? " given in the kubeconfig input" : access.kubeconfig ? " in stack config kpack:kubeconfig" : " (KUBECONFIG or ~/.kube/config)"}: ${(e as Error).message.split("\n")[0]}. Pass valid kubeconfig contents or set KUBECONFIG.`);
  }
  if (access.context) {
    if (!config.getContextObject(access.context)) {
      throw new Error(`The kubeconfig has no context "${access.context}" (it has: ${config.getContexts().map((c) => c.name).join(", ") || "none"}). Fix the context input.`);
    }
    config.setCurrentContext(access.context);
  }
  const cluster = config.getCurrentCluster();
  if (!cluster) {
    throw new Error("The kubeconfig names no cluster for its current context. Set the context input or KUBECONFIG to a usable kubeconfig.");
  }
  const k: Kube = { config, objects: k8s.KubernetesObjectApi.makeApiClient(config), server: cluster.server };
  clients.set(key, k);
  return k;
}
