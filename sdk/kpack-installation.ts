import * as pulumi from "@pulumi/pulumi";
import type { InstalledObject, kpackInstallation } from "../schema/kpack-installation";
import type { ArgsOf } from "./args";
import { KpackResource } from "./resource";

/**
 * Args of a KpackInstallation: the fields of schema/kpack-installation.ts (the installKpack options and cluster access), each a Pulumi Input.
 * @interface
 */
export type KpackInstallationArgs = ArgsOf<typeof kpackInstallation.args>;
export type { InstalledObject };

/**
 * KpackInstallation: kpack itself, installed, upgraded and uninstalled
 * explicitly. Without one, each kpack resource installs kpack when it is
 * missing (see installKpack). With one, it owns the installation: resource
 * hooks see it and leave version changes to it, and destroying it removes
 * kpack (its CRDs, and so every kpack object in the cluster). Args: schema/kpack-installation.ts.
 */
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
