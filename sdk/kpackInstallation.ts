import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ArgsOf, internalInputs, kpackInstallOptions, oneManifestSource } from "./common";
import { KpackResource } from "./resource";

/**
 * KpackInstallation: kpack itself, installed, upgraded and uninstalled
 * explicitly. Without one, each kpack resource installs kpack when it is
 * missing (see installKpack). With one, it owns the installation: resource
 * hooks see it and leave version changes to it, and destroying it removes
 * kpack (its CRDs, and so every kpack object in the cluster).
 */
export const kpackInstallationSchema = z
  .object({
    ...kpackInstallOptions.shape,
    /** Kubeconfig contents. Default: KUBECONFIG or ~/.kube/config. Stored as a secret. */
    kubeconfig: z.string().optional(),
    /** Kubeconfig context. */
    context: z.string().optional(),
  })
  .strict()
  .refine(oneManifestSource.check, oneManifestSource.issue);

export const kpackInstallationInputs = z
  .object({
    ...kpackInstallOptions.shape,
    kubeconfig: z.string().optional(),
    context: z.string().optional(),
    ...internalInputs,
  })
  .strict()
  .refine(oneManifestSource.check, oneManifestSource.issue);
export type KpackInstallationInputs = z.infer<typeof kpackInstallationInputs>;

export type KpackInstallationArgs = ArgsOf<typeof kpackInstallationSchema>;

export interface InstalledObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export class KpackInstallation extends KpackResource {
  /** The kpack version installed (from the manifest's controller Deployment). */
  declare readonly installedVersion: pulumi.Output<string>;
  /** kpack's namespace. */
  declare readonly namespace: pulumi.Output<string>;
  /** Every object the installation applied; uninstall deletes these. */
  declare readonly objects: pulumi.Output<InstalledObject[]>;

  constructor(name: string, args: KpackInstallationArgs = {}, opts?: pulumi.CustomResourceOptions) {
    super("KpackInstallation", name, args, ["installedVersion", "namespace", "objects"], opts);
  }
}
