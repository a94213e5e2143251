import * as k8s from "@kubernetes/client-node";
import { type ClusterAccess, UNKNOWN } from "../../schema/common";

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

/** Which cluster access applies (the resource's inputs, else the stack config), and where each part came from. */
function resolveAccess(given: ClusterAccess): { access: ClusterAccess; kubeconfigFrom?: AccessSource; contextFrom?: AccessSource } {
  const kubeconfigFrom: AccessSource | undefined =
    given.kubeconfig !== undefined ? "input" : stackAccess.kubeconfig !== undefined ? "stack config" : undefined;
  // A kubeconfig given as input comes with its own contexts: the stack's context is for the stack's kubeconfig.
  const context = given.context ?? (given.kubeconfig ? undefined : stackAccess.context);
  const contextFrom: AccessSource | undefined = given.context !== undefined ? "input" : context !== undefined ? "stack config" : undefined;
  return { access: { kubeconfig: given.kubeconfig ?? stackAccess.kubeconfig, context }, kubeconfigFrom, contextFrom };
}

/** Kubeconfig text parsed; the error keeps the parser's first line only: the next ones quote the text around the fault, which may hold keys or tokens. */
function parseKubeconfig(text: string): k8s.KubeConfig {
  const config = new k8s.KubeConfig();
  try {
    config.loadFromString(text);
  } catch (e) {
    // eslint-disable-next-line preserve-caught-error -- the parser's error quotes the kubeconfig text around the fault (keys, tokens): only its first line is kept
    throw new Error((e as Error).message.split("\n")[0]);
  }
  return config;
}

const contextNames = (config: k8s.KubeConfig) =>
  config
    .getContexts()
    .map((c) => c.name)
    .join(", ") || "none";

/** Why `context` cannot be used with `config`, or undefined: it is missing, or names a cluster the kubeconfig does not have. */
function contextProblem(config: k8s.KubeConfig, context: string): string | undefined {
  const ctx = config.getContextObject(context);
  if (!ctx) return `the kubeconfig has no context "${context}" (it has: ${contextNames(config)})`;
  return config.getCluster(ctx.cluster)
    ? undefined
    : `context "${context}" of the kubeconfig names cluster "${ctx.cluster}", which the kubeconfig does not have`;
}

/** Where a part of cluster access came from: the resource's input or the stack config (kpack:kubeconfig, kpack:context). */
export type AccessSource = "input" | "stack config";

/** A problem with cluster access found without the cluster: the field it is in, where that came from, and what to do. */
export interface AccessProblem {
  field: "kubeconfig" | "context";
  source: AccessSource;
  message: string;
}

/**
 * What is wrong with the cluster access a resource would use, found offline
 * (check runs at preview, before any cluster is reached): a kubeconfig given as
 * input or in stack config that does not parse, or holds no cluster for its
 * context, and a context (input or stack config) it does not have. A value
 * not known yet at preview (UNKNOWN) is skipped.
 * A kubeconfig read from KUBECONFIG or ~/.kube/config is read when the
 * provider runs and is not checked here. Messages never quote kubeconfig contents.
 */
export function accessProblems(given: ClusterAccess): AccessProblem[] {
  const { access, kubeconfigFrom, contextFrom } = resolveAccess(given);
  if (access.kubeconfig === undefined || access.kubeconfig === UNKNOWN || !kubeconfigFrom) return [];
  const fix =
    kubeconfigFrom === "input"
      ? 'Give the contents of a kubeconfig file, not its path, e.g. fs.readFileSync("/path/to/kubeconfig", "utf8")'
      : 'Set it to a kubeconfig file\'s contents: pulumi config set --secret kpack:kubeconfig "$(cat ~/.kube/config)"';
  let config: k8s.KubeConfig;
  try {
    config = parseKubeconfig(access.kubeconfig);
  } catch (e) {
    return [{ field: "kubeconfig", source: kubeconfigFrom, message: `cannot be read as a kubeconfig (${(e as Error).message}). ${fix}` }];
  }
  if (config.getContexts().length === 0 && config.getClusters().length === 0) {
    return [{ field: "kubeconfig", source: kubeconfigFrom, message: `is not a kubeconfig: it has no clusters and no contexts. ${fix}` }];
  }
  if (access.context === UNKNOWN) return [];
  if (access.context !== undefined && contextFrom) {
    const problem = contextProblem(config, access.context);
    if (!problem) return [];
    const where = kubeconfigFrom === "input" ? "the kubeconfig input" : "the kubeconfig in stack config kpack:kubeconfig";
    const fixContext =
      contextFrom === "input"
        ? "Set context to a context the kubeconfig has, or leave it out to use its current-context"
        : "Set it to a context the kubeconfig has (pulumi config set kpack:context <name>), or remove it (pulumi config rm kpack:context) to use its current-context";
    return [{ field: "context", source: contextFrom, message: `${problem.replace("the kubeconfig", where)}. ${fixContext}` }];
  }
  const current = config.getCurrentContext();
  if (!current || !config.getCurrentCluster()) {
    return [
      {
        field: "kubeconfig",
        source: kubeconfigFrom,
        message: `${current ? `its current-context "${current}" names no cluster it has` : "has no current-context"}. Give a context (one of: ${contextNames(config)}), or fix current-context in the kubeconfig`,
      },
    ];
  }
  return [];
}

type RequestContext = Parameters<k8s.KubeConfig["applySecurityAuthentication"]>[0];
type Dispatcher = NonNullable<ReturnType<RequestContext["getDispatcher"]>>;

/**
 * One connection pool per client. client-node 2.0 gives every request a new
 * undici Agent, so no connection is reused: each request (of 200 Images'
 * applies, reads and watches at once) makes a TLS handshake, a secure context
 * and a socket of its own that lingers until the agent's keep-alive timeout.
 * The TLS material of a kubeconfig with a static client certificate or token
 * never changes, so every request can share the first request's agent (its
 * headers, the credentials, are still set per request). An exec plugin or
 * auth provider may hand out rotating client certificates: those keep
 * client-node's agent per request.
 */
function shareConnections(config: k8s.KubeConfig): void {
  const user = config.getCurrentUser();
  if (!user || user.exec || user.authProvider) return;
  const own = config.applySecurityAuthentication.bind(config);
  let shared: Dispatcher | undefined;
  config.applySecurityAuthentication = async (context: RequestContext): Promise<void> => {
    await own(context);
    const fresh = context.getDispatcher();
    if (!fresh) return;
    if (shared) context.setDispatcher(shared);
    else shared = fresh;
  };
}

/** A client for the cluster named by the resource's inputs, else the stack config, else KUBECONFIG / ~/.kube/config. */
export function kube(given: ClusterAccess): Kube {
  const { access, kubeconfigFrom } = resolveAccess(given);
  const key = `${access.context ?? ""}\u0000${access.kubeconfig ?? ""}\u0000${access.kubeconfig ? "" : (process.env.KUBECONFIG ?? "")}`;
  const cached = clients.get(key);
  if (cached) return cached;
  let config: k8s.KubeConfig;
  try {
    if (access.kubeconfig) config = parseKubeconfig(access.kubeconfig);
    else {
      config = new k8s.KubeConfig();
      config.loadFromDefault();
    }
  } catch (e) {
    const where = !access.kubeconfig
      ? " (KUBECONFIG or ~/.kube/config)"
      : kubeconfigFrom === "input"
        ? " given in the kubeconfig input"
        : " in stack config kpack:kubeconfig";
    // eslint-disable-next-line preserve-caught-error -- as in parseKubeconfig: the next lines of the error may quote the kubeconfig's keys or tokens
    throw new Error(`Cannot read the kubeconfig${where}: ${(e as Error).message.split("\n")[0]}. Pass valid kubeconfig contents or set KUBECONFIG.`);
  }
  if (access.context) {
    const problem = contextProblem(config, access.context);
    if (problem) throw new Error(`${problem[0].toUpperCase()}${problem.slice(1)}. Fix the context input.`);
    config.setCurrentContext(access.context);
  }
  const cluster = config.getCurrentCluster();
  if (!cluster) {
    throw new Error("The kubeconfig names no cluster for its current context. Set the context input or KUBECONFIG to a usable kubeconfig.");
  }
  shareConnections(config);
  const k: Kube = { config, objects: k8s.KubernetesObjectApi.makeApiClient(config), server: cluster.server };
  clients.set(key, k);
  return k;
}
