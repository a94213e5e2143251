import { kpackInstallation as schema, InstalledObject, KpackInstallationInputs } from "../../schema/kpack-installation";
import { install, loadManifest, readInstalled, uninstall } from "../install";
import { DEFAULT_KPACK_VERSION } from "../install/manifest";
import { KubeObject, refOf } from "../kube/objects";
import type { Operation, ResourceDefinition } from "../lifecycle";
import { compact, deepEqual } from "../values";

/**
 * KpackInstallation: not one kpack object but a whole release, so it brings
 * its own apply, read and remove to the shared lifecycle (check, diff, the
 * deadline and the errors are the lifecycle's): create/update apply the
 * release (marking the namespace as owned by an installation, which the
 * resource hooks respect), update prunes what the new release no longer has,
 * delete uninstalls. A version or manifest change upgrades in place; nothing replaces.
 */
function refsOf(objects: readonly KubeObject[]): InstalledObject[] {
  return objects.map((o) => compact({ ...refOf(o), namespace: refOf(o).namespace || undefined }));
}

/** Deletes installed objects by reference (reverse dependency order; waits for the namespace when it is among them). */
async function uninstallObjects(refs: readonly InstalledObject[], op: Operation<KpackInstallationInputs>): Promise<void> {
  const objects: KubeObject[] = refs.map((r) => ({ apiVersion: r.apiVersion, kind: r.kind, metadata: { name: r.name, namespace: r.namespace } }));
  await uninstall(op.kube, objects, op.deadline, op.progress);
}

function installedObjects(v: unknown): InstalledObject[] {
  return Array.isArray(v) ? (v as InstalledObject[]) : [];
}

export const kpackInstallation: ResourceDefinition<KpackInstallationInputs> = {
  kind: "KpackInstallation",
  schema,
  replaceOn: [],

  async apply(args, op) {
    const { objects, source } = await loadManifest(args, args.version ?? DEFAULT_KPACK_VERSION).catch((e: Error) => {
      throw new Error(`${op.label}: ${e.message}`);
    });
    const r = await install(op.kube, objects, "installation", args, op.progress, op.deadline).catch((e: Error) => {
      throw new Error(`${op.label}: installing kpack from ${source} failed: ${e.message}`);
    });
    const refs = refsOf(objects);
    // An upgrade can drop objects the old release had: remove those.
    const gone = installedObjects(op.previousState?.objects).filter((p) => !refs.some((n) => deepEqual(n, p)));
    if (gone.length) await uninstallObjects(gone, op);
    op.progress.info(`${op.label}: kpack ${r.version} installed in namespace ${r.namespace} (${refs.length} objects)`);
    return { id: r.namespace, outputs: { installedVersion: r.version, namespace: r.namespace, objects: refs } };
  },

  async read(id, state, k) {
    const installed = await readInstalled(k, id);
    if (!installed.controller && !installed.crds) return undefined;
    return { installedVersion: installed.version ?? state.installedVersion };
  },

  async remove(_id, state, _args, op) {
    await uninstallObjects(installedObjects(state.objects), op);
  },
};
