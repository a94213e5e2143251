import * as k8s from "@kubernetes/client-node";
import type { KubeObject } from "../kube/objects";

/**
 * kpack's release manifest and what an installation looks like: pure
 * functions over parsed objects, used by the resource hooks and by the
 * KpackInstallation resource alike.
 */

/** The kpack version pulumi-kpack installs when none is named. */
export const DEFAULT_KPACK_VERSION = "0.17.2";

/** Marks the kpack namespace of an installation pulumi-kpack made, with its version and owner. */
export const INSTALLED_BY = "pulumi-kpack.io/installed-by";
export const INSTALLED_VERSION = "pulumi-kpack.io/kpack-version";
/** INSTALLED_BY values: a resource's hook, or an explicit KpackInstallation (which owns upgrades). */
export type Installer = "hook" | "installation";

export interface ManifestSource {
  /** Where to fetch release YAML from (http(s) or file://). */
  manifestUrl?: string;
  /** A local file with release YAML. */
  manifestFile?: string;
  /** Release YAML itself. */
  manifestYaml?: string;
}

/** The official release asset of a kpack version (kpack.md §1). */
export function releaseUrl(version: string): string {
  return `https://github.com/buildpacks-community/kpack/releases/download/v${version}/release-${version}.yaml`;
}

export function describeSource(src: ManifestSource, version: string): string {
  if (src.manifestYaml !== undefined) return "the inline manifestYaml";
  if (src.manifestFile !== undefined) return `manifestFile ${src.manifestFile}`;
  return src.manifestUrl ?? releaseUrl(version);
}

/**
 * The objects of a multi-document YAML manifest (a release asset). Empty and
 * comment-only documents are skipped (client-node's loadAllYaml cannot take
 * them). Each document goes through loadYaml, which returns built-in kinds as
 * client-node models: the form KubernetesObjectApi sends; wire-form keys such
 * as x-kubernetes-preserve-unknown-fields would otherwise be dropped.
 */
export function parseManifest(yaml: string, source: string): KubeObject[] {
  const docs = yaml.split(/^---[ \t]*(?:#.*)?$/m).filter((doc) => doc.split("\n").some((l) => l.trim() !== "" && !l.trimStart().startsWith("#")));
  return docs.map((doc, i) => {
    let o: KubeObject;
    try {
      o = k8s.loadYaml<KubeObject>(doc);
    } catch (e) {
      throw new Error(
        `The kpack manifest from ${source} is not valid YAML (document ${i + 1}): ${(e as Error).message.split("\n")[0]}. Check that it is a kpack release-<version>.yaml.`,
        { cause: e },
      );
    }
    if (!o || typeof o !== "object" || !o.apiVersion || !o.kind || !o.metadata?.name) {
      throw new Error(
        `The kpack manifest from ${source}: document ${i + 1} is not a Kubernetes object (it needs apiVersion, kind and metadata.name).`,
      );
    }
    return o;
  });
}

/** The kpack controller Deployment of a manifest, and its namespace. */
export function controllerOf(objects: readonly KubeObject[]): { namespace: string; deployment: KubeObject } | undefined {
  const d = objects.find((o) => o.kind === "Deployment" && o.metadata?.name === "kpack-controller");
  return d ? { namespace: d.metadata?.namespace ?? "kpack", deployment: d } : undefined;
}

/** The kpack version a manifest or a live Deployment declares (its pod template's `version` label). */
export function versionOfDeployment(d: KubeObject | undefined): string | undefined {
  const spec = d?.spec as { template?: { metadata?: { labels?: Record<string, string> } } } | undefined;
  const v = spec?.template?.metadata?.labels?.version;
  return v ? v.replace(/^v/, "") : undefined;
}

/** What a manifest must hold to be a kpack release. */
export function validateManifest(objects: readonly KubeObject[], source: string): { namespace: string; version?: string } {
  const missing: string[] = [];
  const c = controllerOf(objects);
  if (!c) missing.push("Deployment kpack-controller");
  const crds = new Set(objects.filter((o) => o.kind === "CustomResourceDefinition").map((o) => o.metadata?.name));
  for (const crd of ["images.kpack.io", "builds.kpack.io", "clusterstacks.kpack.io"])
    if (!crds.has(crd)) missing.push(`CustomResourceDefinition ${crd}`);
  if (missing.length) {
    throw new Error(
      `The manifest from ${source} is not a kpack release: it has no ${missing.join(", ")}. Point installKpack at a kpack release-<version>.yaml.`,
    );
  }
  return { namespace: c!.namespace, version: versionOfDeployment(c!.deployment) };
}

/** Compares dotted versions numerically (0.17.2 < 0.18.0); non-numeric parts compare as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a
    .replace(/^v/, "")
    .split(/[.-]/)
    .map((x) => parseInt(x, 10) || 0);
  const pb = b
    .replace(/^v/, "")
    .split(/[.-]/)
    .map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return Math.sign(d);
  }
  return 0;
}

/** What the cluster has, as read by readInstalled(). */
export interface Installed {
  /** The kpack CRDs exist. */
  crds: boolean;
  /** The kpack-controller Deployment exists. */
  controller: boolean;
  /** Its version label, if any. */
  version?: string;
  /** Who installed it, when pulumi-kpack did. */
  installer?: Installer;
}

export type Decision = { action: "none"; reason: string } | { action: "install" | "upgrade"; reason: string } | { action: "leave"; warning: string };

/**
 * What a resource's hook does about kpack: install when it is missing,
 * upgrade an older installation the hooks made, and leave alone anything a
 * KpackInstallation or someone else installed (never fight them).
 */
export function hookDecision(installed: Installed, wanted: string): Decision {
  if (!installed.crds && !installed.controller) return { action: "install", reason: `kpack is not installed; installing ${wanted}` };
  if (installed.installer === "installation")
    return { action: "none", reason: `kpack ${installed.version ?? "?"} is managed by a KpackInstallation` };
  if (installed.installer !== "hook") {
    if (!installed.controller) {
      return {
        action: "leave",
        warning:
          "kpack's CRDs exist but there is no kpack-controller Deployment in the kpack namespace; pulumi-kpack did not install them and leaves them alone. Objects will not become ready without a controller",
      };
    }
    if (installed.version && compareVersions(installed.version, wanted) < 0) {
      return {
        action: "leave",
        warning: `kpack ${installed.version} is installed by someone else; pulumi-kpack leaves it alone although ${wanted} was asked for. Upgrade it yourself, or manage it with a KpackInstallation`,
      };
    }
    return { action: "none", reason: `kpack ${installed.version ?? "(version unknown)"} is installed` };
  }
  if (!installed.version || compareVersions(installed.version, wanted) < 0) {
    return { action: "upgrade", reason: `upgrading kpack ${installed.version ?? "(unknown)"} to ${wanted}` };
  }
  return { action: "none", reason: `kpack ${installed.version} is installed` };
}
