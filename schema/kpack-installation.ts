import { z } from "zod";
import { clusterAccessInputs, kindSchemas, kpackInstallOptions, oneManifestSource } from "./common";

/**
 * KpackInstallation: kpack itself, installed, upgraded and uninstalled
 * explicitly. Without one, each kpack resource installs kpack when it is
 * missing (see installKpack). With one, it owns the installation: resource
 * hooks see it and leave version changes to it, and destroying it removes
 * kpack (its CRDs, and so every kpack object in the cluster).
 */
export const kpackInstallation = kindSchemas({ ...kpackInstallOptions.shape, ...clusterAccessInputs }, oneManifestSource);
export type KpackInstallationInputs = z.infer<typeof kpackInstallation.inputs>;

/** An object a KpackInstallation applied (an output). */
export interface InstalledObject {
  /** API version of the object, e.g. `apps/v1`. */
  apiVersion: string;
  /** Its kind, e.g. `Deployment`. */
  kind: string;
  /** Its name. */
  name: string;
  /** Its namespace; absent for cluster-scoped objects (the Namespace, CRDs, ClusterRoles, …). */
  namespace?: string;
}
