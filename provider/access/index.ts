import * as crypto from "node:crypto";
import { DEFAULT_NAMESPACE, registryOf } from "../../schema/common";
import { MAX_SERVICE_ACCOUNT_NAME, ManagedServiceAccount } from "../../schema/service-account";
import type { KubeObject } from "../kube/objects";

/**
 * The build identity of a kpack object, as pure manifests (the lifecycle applies
 * them as the object's companions, see KindDefinition.companions):
 *
 * - one Secret per credential, in the form kpack reads (kpack docs/secrets.md,
 *   build_pod.go setupSecretVolumesAndArgs): registry logins as
 *   `kubernetes.io/basic-auth` + `kpack.io/docker`, a docker config.json as
 *   `kubernetes.io/dockerconfigjson`, git logins as `kubernetes.io/basic-auth`
 *   or `kubernetes.io/ssh-auth` + `kpack.io/git`, blob credentials as Opaque +
 *   `kpack.io/blob`;
 * - for registry logins also one `kubernetes.io/dockerconfigjson` "pull"
 *   Secret holding all of them, because the kubelet (pulling the builder and
 *   run images of the build pod) and kpack's `-imagepull` flag read only
 *   docker-config Secrets from `imagePullSecrets`;
 * - the ServiceAccount listing them: every Secret but the pull one in
 *   `secrets` (what kpack mounts into the build pod and its controller's
 *   keychain reads), docker-config Secrets in `imagePullSecrets`;
 * - a Role and a RoleBinding to it that grant nothing.
 *
 * Why the Role is empty and the token is not mounted: nothing of kpack's that
 * runs as this ServiceAccount calls the Kubernetes API. The controller reads
 * the ServiceAccount and its Secrets with its own rights; the build pod's
 * containers get the Secrets as volumes (prepare and completion only) and use
 * no client (build-init, completion and rebase make their keychains with
 * k8schain.NewNoClient). The build and detect steps run buildpacks on the
 * user's source: any right given to this identity, even `get` on its own
 * Secrets, would hand those registry and git credentials to that code, which
 * otherwise never sees them. So the Role (the one place where this identity's
 * rights are declared, for audits and for anyone who must extend them) has no
 * rules, and `automountServiceAccountToken: false` keeps the pod from
 * carrying a token at all.
 */

export const DOCKER_ANNOTATION = "kpack.io/docker";
export const GIT_ANNOTATION = "kpack.io/git";
export const BLOB_ANNOTATION = "kpack.io/blob";

/** A short, stable tag of a non-secret key (registry, url, host) for object names. */
function tag(key: string): string {
  return crypto.createHash("sha256").update(key).digest("hex").slice(0, 8);
}

/**
 * The ServiceAccount's name: the one given, or `<object name>-<kind>` (so an
 * Image and a Builder of the same name get different ones), shortened with a
 * hash when the object name is long.
 */
export function managedServiceAccountName(kind: string, objectName: string, msa: Pick<ManagedServiceAccount, "name">): string {
  if (msa.name) return msa.name;
  const suffix = kind.toLowerCase();
  const full = `${objectName}-${suffix}`;
  if (full.length <= MAX_SERVICE_ACCOUNT_NAME) return full;
  const head = objectName.slice(0, MAX_SERVICE_ACCOUNT_NAME - suffix.length - 10).replace(/[-.]+$/, "");
  return `${head}-${tag(objectName)}-${suffix}`;
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

function secret(
  namespace: string,
  name: string,
  type: string,
  data: Record<string, string | undefined>,
  annotations?: Record<string, string>,
): KubeObject {
  const encoded: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) if (v !== undefined) encoded[k] = b64(v);
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace, ...(annotations ? { annotations } : {}) },
    type,
    // data, not stringData: stringData is write-only, so the applied and stored objects would differ.
    data: encoded,
  };
}

/** A docker config.json with the given logins, as docker login writes it. */
export function dockerConfigJsonOf(logins: ReadonlyArray<{ registry: string; username: string; password: string }>): string {
  const auths: Record<string, { username: string; password: string; auth: string }> = {};
  for (const l of logins) auths[l.registry] = { username: l.username, password: l.password, auth: b64(`${l.username}:${l.password}`) };
  return JSON.stringify({ auths });
}

export interface ServiceAccountObjects {
  /** Name of the ServiceAccount, for the kpack object's spec. */
  name: string;
  /** In apply order: Secrets, ServiceAccount, Role, RoleBinding. */
  objects: KubeObject[];
}

/** The ServiceAccount, its Secrets and its (empty) Role and RoleBinding, in `namespace`. */
export function serviceAccountObjects(namespace: string, name: string, msa: ManagedServiceAccount): KubeObject[] {
  const secrets: KubeObject[] = [];
  const pullSecrets: string[] = [];
  const registries = msa.registryCredentials ?? [];
  for (const r of registries) {
    secrets.push(
      secret(
        namespace,
        `${name}-registry-${tag(r.registry)}`,
        "kubernetes.io/basic-auth",
        { username: r.username, password: r.password },
        { [DOCKER_ANNOTATION]: r.registry },
      ),
    );
  }
  if (msa.dockerConfigJson !== undefined) {
    const s = secret(namespace, `${name}-dockerconfig`, "kubernetes.io/dockerconfigjson", { ".dockerconfigjson": msa.dockerConfigJson });
    secrets.push(s);
    pullSecrets.push(s.metadata!.name!);
  }
  for (const g of msa.gitCredentials ?? []) {
    if (g.sshPrivateKey !== undefined) {
      secrets.push(
        secret(
          namespace,
          `${name}-git-${tag(`ssh ${g.url}`)}`,
          "kubernetes.io/ssh-auth",
          { "ssh-privatekey": g.sshPrivateKey, known_hosts: g.knownHosts },
          { [GIT_ANNOTATION]: g.url },
        ),
      );
    } else {
      secrets.push(
        secret(
          namespace,
          `${name}-git-${tag(`basic ${g.url}`)}`,
          "kubernetes.io/basic-auth",
          { username: g.username, password: g.password },
          { [GIT_ANNOTATION]: g.url },
        ),
      );
    }
  }
  for (const b of msa.blobCredentials ?? []) {
    secrets.push(
      secret(
        namespace,
        `${name}-blob-${tag(b.host)}`,
        "Opaque",
        { username: b.username, password: b.password, bearer: b.bearer, authorization: b.authorization },
        { [BLOB_ANNOTATION]: b.host },
      ),
    );
  }
  const pull: KubeObject[] = [];
  if (registries.length > 0) {
    const s = secret(namespace, `${name}-registry-pull`, "kubernetes.io/dockerconfigjson", { ".dockerconfigjson": dockerConfigJsonOf(registries) });
    pull.push(s);
    pullSecrets.unshift(s.metadata!.name!);
  }
  const serviceAccount: KubeObject = {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name, namespace },
    // See the module comment: nothing running as this account calls the API.
    automountServiceAccountToken: false,
    ...(secrets.length ? { secrets: secrets.map((s) => ({ name: s.metadata!.name! })) } : {}),
    ...(pullSecrets.length ? { imagePullSecrets: pullSecrets.map((n) => ({ name: n })) } : {}),
  };
  const role: KubeObject = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: { name, namespace },
    // Deliberately no rules: see the module comment.
    rules: [],
  };
  const binding: KubeObject = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name, namespace },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
    subjects: [{ kind: "ServiceAccount", name, namespace }],
  };
  return [...secrets, ...pull, serviceAccount, role, binding];
}

/**
 * The ServiceAccount a kpack object uses and the objects to make for it:
 * `existing` (or "default") when no managed one is asked for, else the
 * managed one's name and objects.
 */
export function accessFor(
  owner: { kind: string; name: string; namespace: string },
  existing: string | undefined,
  msa: ManagedServiceAccount | undefined,
): ServiceAccountObjects {
  if (!msa) return { name: existing ?? "default", objects: [] };
  const name = managedServiceAccountName(owner.kind, owner.name, msa);
  return { name, objects: serviceAccountObjects(msa.namespace ?? owner.namespace, name, msa) };
}

/**
 * The serviceAccountRef of a cluster-scoped kind: the one given, or a managed
 * one's (in the namespace its spec names) with its objects; none when neither.
 */
export function clusterAccessFor(
  kind: string,
  objectName: string,
  ref: { name: string; namespace: string } | undefined,
  msa: (ManagedServiceAccount & { namespace: string }) | undefined,
): { ref?: { name: string; namespace: string }; objects: KubeObject[] } {
  if (!msa) return { ref: ref && { name: ref.name, namespace: ref.namespace }, objects: [] };
  const name = managedServiceAccountName(kind, objectName, msa);
  return { ref: { name, namespace: msa.namespace }, objects: serviceAccountObjects(msa.namespace, name, msa) };
}

/** Failure texts of a registry refusing a login (distribution's 401 UNAUTHORIZED, 403 DENIED). */
const REFUSED = /\b401\b|unauthorized|authentication required|\bdenied\b/i;

/**
 * When a failure says a registry refused the credentials: whose credentials
 * kpack used for this object (its serviceAccountName or serviceAccountRef)
 * and how to give them; empty otherwise.
 */
export function registryAuthHint(obj: KubeObject, failure: string): string {
  if (!REFUSED.test(failure)) return "";
  const spec = (obj.spec ?? {}) as { tag?: string; serviceAccountName?: string; serviceAccountRef?: { name?: string; namespace?: string } };
  const sa = spec.serviceAccountRef
    ? `${spec.serviceAccountRef.namespace}/${spec.serviceAccountRef.name}`
    : `${obj.metadata?.namespace ?? DEFAULT_NAMESPACE}/${spec.serviceAccountName || "default"}`;
  const registry = spec.tag ? registryOf(spec.tag) : "the registry";
  return (
    `. The registry refused the credentials of ServiceAccount ${sa}, which kpack uses here: ` +
    `give a login for ${registry} in managedServiceAccount.registryCredentials (or a kpack.io/docker Secret on that ServiceAccount), and check that it may push there`
  );
}
