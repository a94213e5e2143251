import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as https from "node:https";
import * as k8s from "@kubernetes/client-node";
import { binaries, ensureBinary } from "./binaries";
import { clientCert, makePki, Pki } from "./certs";
import { freePort, installSignalHandlers, Managed, scratchDir, start, stop, waitFor } from "./processes";

/**
 * A Kubernetes control plane for tests and the demo: etcd and kube-apiserver
 * (RBAC and the default admission plugins on, admin by client certificate)
 * plus kube-controller-manager (KCM_CONTROLLERS) and a default StorageClass
 * whose volumes kcm provisions and binds, all on 127.0.0.1. Or, only when PULUMI_KPACK_TEST_KUBECONFIG names one, an existing
 * cluster (kind, k3d, minikube).
 */
export interface Cluster {
  /** Path of an admin kubeconfig (the cluster's own file for an external cluster). */
  kubeconfigPath: string;
  /** Its contents. */
  kubeconfig: string;
  /** Context to use within it (undefined: current-context). */
  context?: string;
  server: string;
  /** True when the tests run against a cluster they did not start. */
  external: boolean;
  /** Scratch directory of this environment (logs, certificates, state). */
  workDir: string;
  /** The apiserver's audit log (JSON lines), when StartOptions.auditUsers asked for one. */
  auditLogPath?: string;
  /** Kubeconfig contents for another user, authenticated by client certificate (local plane only). */
  userKubeconfig(user: string, groups: string[]): string;
  /**
   * Stops kube-apiserver and starts it again on the same port with the same etcd (local plane only): every
   * watch breaks. `compact`: meanwhile etcd compacts its history up to now, as the apiserver itself does
   * every 5 minutes, so a watch resumed from an older resourceVersion gets 410 Gone.
   */
  restartApiserver(opts?: { compact?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Also run kube-controller-manager (default true). */
  controllerManager?: boolean;
  /** Parent of the scratch directory (default: the OS temp dir). */
  baseDir?: string;
  /**
   * Write an audit log (metadata level) of these users' requests only: the
   * bench counts what the provider and kubectl ask of the apiserver, apart
   * from the controllers' own requests.
   */
  auditUsers?: string[];
}

/** apiserver flags for an audit log of `users`' requests in workDir (policy: audit.k8s.io/v1, JSON is YAML). */
function auditFlags(workDir: string, users: string[] | "all"): { flags: string[]; log: string } {
  const policy = path.join(workDir, "audit-policy.yaml");
  const log = path.join(workDir, "audit.log");
  fs.writeFileSync(
    policy,
    JSON.stringify({
      apiVersion: "audit.k8s.io/v1",
      kind: "Policy",
      omitStages: ["RequestReceived"],
      rules: users === "all" ? [{ level: "Metadata" }] : [{ level: "Metadata", users }, { level: "None" }],
    }),
  );
  return { flags: [`--audit-policy-file=${policy}`, `--audit-log-path=${log}`, "--audit-log-maxsize=0"], log };
}

function kubeconfigFor(server: string, caPem: string, user: string, certPem: string, keyPem: string): string {
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  // JSON is valid YAML, and every kubeconfig reader accepts it.
  return JSON.stringify(
    {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "pulumi-kpack-test", cluster: { server, "certificate-authority-data": b64(caPem) } }],
      users: [{ name: user, user: { "client-certificate-data": b64(certPem), "client-key-data": b64(keyPem) } }],
      contexts: [{ name: "pulumi-kpack-test", context: { cluster: "pulumi-kpack-test", user } }],
      "current-context": "pulumi-kpack-test",
    },
    null,
    2,
  );
}

function httpsOk(url: string, pki: Pki, admin: { cert: string; key: string }): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.get(url, { ca: fs.readFileSync(pki.caCert), cert: admin.cert, key: admin.key, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => {
      req.destroy();
      resolve(false);
    });
  });
}

function httpOk(url: string): Promise<boolean> {
  return fetch(url, { signal: AbortSignal.timeout(2000) }).then(
    (r) => r.ok,
    () => false,
  );
}

function externalCluster(file: string): Cluster {
  const kubeconfig = fs.readFileSync(file, "utf8");
  const serverMatch = /server:\s*"?([^\s"]+)/.exec(kubeconfig);
  return {
    kubeconfigPath: file,
    kubeconfig,
    context: process.env.PULUMI_KPACK_TEST_CONTEXT || undefined,
    server: serverMatch?.[1] ?? "(unknown)",
    external: true,
    workDir: fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-kpack-ext-")),
    userKubeconfig() {
      throw new Error("userKubeconfig needs the local control plane (its client CA); unset PULUMI_KPACK_TEST_KUBECONFIG.");
    },
    async restartApiserver() {
      throw new Error("restartApiserver needs the local control plane; unset PULUMI_KPACK_TEST_KUBECONFIG.");
    },
    async stop() {},
  };
}

/**
 * kube-controller-manager's controllers here: what the tests' objects need on
 * any cluster (namespaces, ServiceAccounts and the kube-root-ca.crt ConfigMap
 * that every pod's token volume projects, garbage collection, Deployments) and
 * the PersistentVolume binder, expander and protection controllers behind the
 * default StorageClass. Not run: node lifecycle (the build node sends no
 * heartbeats), scheduling (the runner binds its pods), Jobs and the rest.
 */
export const KCM_CONTROLLERS = [
  "namespace-controller",
  "serviceaccount-controller",
  "root-ca-certificate-publisher-controller",
  "garbage-collector-controller",
  "deployment-controller",
  "replicaset-controller",
  "clusterrole-aggregation-controller",
  "persistentvolume-binder-controller",
  "persistentvolume-expander-controller",
  "persistentvolumeclaim-protection-controller",
  "persistentvolume-protection-controller",
];

/** The default StorageClass, as kind, k3d, minikube, GKE and EKS have one: kpack's webhook gives cache-less Images a 2G volume cache. */
export const DEFAULT_STORAGE_CLASS = {
  apiVersion: "storage.k8s.io/v1",
  kind: "StorageClass",
  metadata: { name: "standard", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
  provisioner: "kubernetes.io/host-path",
  reclaimPolicy: "Delete",
  // Immediate: no scheduler here to pick a node first (the runner binds build pods to its one node).
  volumeBindingMode: "Immediate",
  // As GKE's and EKS's default classes: kpack grows a volume cache by updating its claim.
  allowVolumeExpansion: true,
} as const;

async function createDefaultStorageClass(kubeconfig: string): Promise<void> {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(kubeconfig);
  await k8s.KubernetesObjectApi.makeApiClient(kc).create(DEFAULT_STORAGE_CLASS);
}

/** Removes the directories kcm's hostpath provisioner made for this cluster's PersistentVolumes (they live in /tmp, outside workDir). */
async function removeVolumeDirs(kubeconfig: string): Promise<void> {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(kubeconfig);
  const pvs = await kc.makeApiClient(k8s.CoreV1Api).listPersistentVolume({ timeoutSeconds: 5 });
  for (const pv of pvs.items) {
    const p = pv.spec?.hostPath?.path;
    if (p && /^\/tmp\/hostpath_pv\/[\w-]+$/.test(p)) fs.rmSync(p, { recursive: true, force: true });
  }
}

export async function startCluster(opts: StartOptions = {}): Promise<Cluster> {
  const ext = process.env.PULUMI_KPACK_TEST_KUBECONFIG;
  if (ext) return externalCluster(ext);

  installSignalHandlers();
  const etcdBin = ensureBinary(binaries.etcd);
  const apiserverBin = ensureBinary(binaries.kubeApiserver);
  const kcmBin = opts.controllerManager === false ? undefined : ensureBinary(binaries.kubeControllerManager);

  const workDir = fs.mkdtempSync(path.join(opts.baseDir ?? os.tmpdir(), "pulumi-kpack-env-"));
  const forgetWorkDir = scratchDir(workDir);
  const pki = makePki(path.join(workDir, "pki"));
  const admin = clientCert(pki, "pulumi-kpack-admin", ["system:masters"]);
  const procs: Managed[] = [];
  let kubeconfigText: string | undefined;
  const stopProcs = async () => {
    if (kubeconfigText) await removeVolumeDirs(kubeconfigText).catch(() => undefined);
    for (const p of procs.reverse()) await stop(p);
    if (!process.env.PULUMI_KPACK_KEEP_ENV) fs.rmSync(workDir, { recursive: true, force: true });
    forgetWorkDir();
  };

  try {
    const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const etcd = start(
      "etcd",
      etcdBin,
      [
        `--data-dir=${path.join(workDir, "etcd")}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
        "--unsafe-no-fsync=true",
        "--listen-metrics-urls=",
      ],
      { logFile: path.join(workDir, "etcd.log") },
    );
    procs.push(etcd);
    await waitFor("etcd /health", etcd, () => httpOk(`${etcdUrl}/health`), 30_000);

    const server = `https://127.0.0.1:${apiPort}`;
    // PULUMI_KPACK_AUDIT=1: every request in the audit log (where a slow step's seconds go: whose request waited on whom).
    const audit = opts.auditUsers?.length
      ? auditFlags(workDir, opts.auditUsers)
      : process.env.PULUMI_KPACK_AUDIT === "1"
        ? auditFlags(workDir, "all")
        : undefined;
    const apiserverArgs = [
      `--etcd-servers=${etcdUrl}`,
      `--secure-port=${apiPort}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      "--endpoint-reconciler-type=none",
      `--cert-dir=${path.join(workDir, "apiserver-certs")}`,
      `--tls-cert-file=${pki.servingCert}`,
      `--tls-private-key-file=${pki.servingKey}`,
      `--client-ca-file=${pki.clientCaCert}`,
      "--authorization-mode=RBAC",
      "--service-cluster-ip-range=10.0.0.0/24",
      "--allow-privileged=true",
      // Every admission plugin a kube-apiserver enables by default, ServiceAccount
      // included: a pod naming a missing ServiceAccount is refused, as on any cluster.
      `--service-account-issuer=${server}/`,
      `--service-account-key-file=${pki.saPub}`,
      `--service-account-signing-key-file=${pki.saKey}`,
      ...(audit?.flags ?? []),
    ];
    const startApiserver = async (): Promise<Managed> => {
      const p = start("kube-apiserver", apiserverBin, apiserverArgs, { logFile: path.join(workDir, "kube-apiserver.log") });
      procs.push(p);
      await waitFor("kube-apiserver /readyz", p, () => httpsOk(`${server}/readyz`, pki, admin), 60_000);
      return p;
    };
    let apiserver = await startApiserver();

    const kubeconfig = kubeconfigFor(server, fs.readFileSync(pki.caCert, "utf8"), "pulumi-kpack-admin", admin.cert, admin.key);
    const kubeconfigPath = path.join(workDir, "admin.kubeconfig");
    fs.writeFileSync(kubeconfigPath, kubeconfig, { mode: 0o600 });
    kubeconfigText = kubeconfig;

    if (kcmBin) {
      const kcm = start(
        "kube-controller-manager",
        kcmBin,
        [
          `--kubeconfig=${kubeconfigPath}`,
          `--authentication-kubeconfig=${kubeconfigPath}`,
          `--authorization-kubeconfig=${kubeconfigPath}`,
          "--bind-address=127.0.0.1",
          `--secure-port=${await freePort()}`,
          "--leader-elect=false",
          `--controllers=${KCM_CONTROLLERS.join(",")}`,
          // PersistentVolumes for the default StorageClass: directories /tmp/hostpath_pv/<uid>, made and removed by kcm itself.
          "--enable-hostpath-provisioner=true",
          `--service-account-private-key-file=${pki.saKey}`,
          `--root-ca-file=${pki.caCert}`,
          `--cluster-signing-cert-file=${pki.clientCaCert}`,
          `--cluster-signing-key-file=${pki.clientCaKey}`,
        ],
        { logFile: path.join(workDir, "kube-controller-manager.log") },
      );
      procs.push(kcm);
      // The serviceaccount controller creating `default` in `default` shows kcm is working.
      await waitFor(
        "the default ServiceAccount (kube-controller-manager)",
        kcm,
        () => httpsOk(`${server}/api/v1/namespaces/default/serviceaccounts/default`, pki, admin),
        60_000,
      );
      await createDefaultStorageClass(kubeconfig);
    }

    return {
      kubeconfigPath,
      kubeconfig,
      server,
      external: false,
      workDir,
      auditLogPath: audit?.log,
      userKubeconfig(user, groups) {
        const c = clientCert(pki, user, groups);
        return kubeconfigFor(server, fs.readFileSync(pki.caCert, "utf8"), user, c.cert, c.key);
      },
      async restartApiserver(o = {}) {
        await stop(apiserver);
        procs.splice(procs.indexOf(apiserver), 1);
        if (o.compact) await compactEtcd(etcdUrl);
        apiserver = await startApiserver();
      },
      stop: stopProcs,
    };
  } catch (e) {
    await stopProcs();
    throw e;
  }
}

/** Compacts etcd's key history up to its current revision, through etcd's JSON gateway (POST /v3/kv/...). */
async function compactEtcd(etcdUrl: string): Promise<void> {
  const post = async (p: string, body: object): Promise<{ header?: { revision?: string } }> => {
    const r = await fetch(`${etcdUrl}${p}`, { method: "POST", body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`etcd ${p}: HTTP ${r.status}: ${await r.text()}`);
    return (await r.json()) as { header?: { revision?: string } };
  };
  // Any read returns the store's current revision in its header.
  const revision = (await post("/v3/kv/range", { key: Buffer.from("/").toString("base64") })).header?.revision;
  if (!revision) throw new Error("etcd /v3/kv/range returned no revision");
  await post("/v3/kv/compaction", { revision, physical: true });
}
