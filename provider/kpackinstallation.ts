import type * as pulumi from "@pulumi/pulumi";
import { InstalledObject, kpackInstallationInputs, KpackInstallationInputs } from "../sdk/kpackInstallation";
import { formatPath, strip } from "./engine";
import { install, loadManifest, readInstalled, uninstall } from "./install";
import { DEFAULT_KPACK_VERSION } from "./install/manifest";
import { kube } from "./kube/client";
import { KubeObject, refOf } from "./kube/objects";
import { progressFor } from "./progress";
import { compact, containsUnknown, deepEqual, Props, unknownAlong } from "./values";

/**
 * KpackInstallation: not one kpack object but a whole release, so it has its
 * own lifecycle instead of the engine's: create/update apply the release
 * (marking the namespace as owned by an installation, which the resource hooks
 * respect), update prunes what the new release no longer has, delete uninstalls.
 */
const INPUT_KEYS = ["version", "manifestUrl", "manifestFile", "manifestYaml", "skipAwait", "timeoutSeconds", "kubeconfig", "context", "providerVersion"];

function parse(props: Props): KpackInstallationInputs {
  const r = kpackInstallationInputs.safeParse(strip(props));
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(`KpackInstallation ${String(props.logicalName)}: ${formatPath(i.path)}: ${i.message}.`);
  }
  return r.data;
}

function refsOf(objects: readonly KubeObject[]): InstalledObject[] {
  return objects.map((o) => compact({ ...refOf(o), namespace: refOf(o).namespace || undefined }));
}

async function apply(props: Props, previous?: InstalledObject[]): Promise<{ id: string; outs: Props }> {
  const args = parse(props);
  const k = kube(args);
  const progress = progressFor(args.resourceUrn);
  const label = `KpackInstallation ${args.logicalName}`;
  const { objects, source } = await loadManifest(args, args.version ?? DEFAULT_KPACK_VERSION).catch((e: Error) => {
    throw new Error(`${label}: ${e.message}`);
  });
  const r = await install(k, objects, "installation", args, progress).catch((e: Error) => {
    throw new Error(`${label}: installing kpack from ${source} failed: ${e.message}`);
  });
  const refs = refsOf(objects);
  // An upgrade can drop objects the old release had: remove those.
  const gone = (previous ?? []).filter((p) => !refs.some((n) => deepEqual(n, p)));
  if (gone.length) await uninstallObjects(k, gone, args.timeoutSeconds ?? 300, progress);
  progress.info(`${label}: kpack ${r.version} installed in namespace ${r.namespace} (${refs.length} objects)`);
  return { id: r.namespace, outs: compact({ ...props, installedVersion: r.version, namespace: r.namespace, objects: refs }) };
}

/** Deletes installed objects by reference (reverse dependency order; waits for the namespace when it is among them). */
async function uninstallObjects(k: ReturnType<typeof kube>, refs: InstalledObject[], timeoutSeconds: number, progress: ReturnType<typeof progressFor>): Promise<void> {
  const objects = refs.map((r) => ({ apiVersion: r.apiVersion, kind: r.kind, metadata: { name: r.name, namespace: r.namespace } })) as KubeObject[];
  await uninstall(k, objects, timeoutSeconds, progress);
}

export const kpackInstallation = {
  check(_olds: Props | undefined, news: Props): pulumi.dynamic.CheckResult<Props> {
    const inputs = strip(news);
    const r = kpackInstallationInputs.safeParse(inputs);
    const failures = r.success ? [] : r.error.issues.filter((i) => !unknownAlong(inputs, i.path)).map((i) => ({
      property: String(i.path[0] ?? ""),
      reason: `KpackInstallation ${String(inputs.logicalName)}: ${formatPath(i.path)}: ${i.message}.`,
    }));
    return { inputs, failures };
  },
  diff(_id: string, olds: Props, news: Props): pulumi.dynamic.DiffResult {
    const changed = INPUT_KEYS.filter((k) => !deepEqual(olds[k], news[k]) || containsUnknown(news[k]));
    // A version or manifest change is an upgrade (or downgrade) in place, never a reinstall.
    return { changes: changed.length > 0, replaces: [] };
  },
  create: (inputs: Props) => apply(inputs),
  async update(_id: string, olds: Props, news: Props): Promise<pulumi.dynamic.UpdateResult<Props>> {
    return { outs: (await apply(news, olds.objects as InstalledObject[] | undefined)).outs };
  },
  async read(id: string, props: Props | undefined): Promise<pulumi.dynamic.ReadResult<Props>> {
    const p = strip(props);
    const installed = await readInstalled(kube(p as { kubeconfig?: string; context?: string }), id);
    if (!installed.controller && !installed.crds) return { id: "", props: {} };
    const inputs: Props = {};
    for (const key of [...INPUT_KEYS, "logicalName", "resourceUrn"]) if (p[key] !== undefined) inputs[key] = p[key];
    return { id, props: compact({ ...p, installedVersion: installed.version ?? p.installedVersion }), inputs };
  },
  async delete(_id: string, props: Props): Promise<void> {
    const p = strip(props);
    const k = kube(p as { kubeconfig?: string; context?: string });
    await uninstallObjects(k, (p.objects as InstalledObject[] | undefined) ?? [], typeof p.timeoutSeconds === "number" ? p.timeoutSeconds : 300, progressFor(p.resourceUrn as string | undefined));
  },
};
