import { BUILD_ANNOTATION, BUILD_LABEL, condition, CONDITION, status } from "../../conditions";
import type { Kube } from "../../kube/client";
import { get, type KubeObject } from "../../kube/objects";
import type { Props } from "../../values";
import type { BuildProvenance } from "../../../schema/image";

/**
 * What the deployed digest was built from, pure: read off the Build that
 * made the Image's latestImage. kpack records it there, not on the Image:
 * the resolved source in the Build's spec (a git branch resolved to its
 * commit), the buildpacks and run image the lifecycle reported in its status
 * (pkg/cnb/build_metadata.go), the reason in an annotation.
 */

interface BuildObject {
  spec?: { source?: { git?: { url?: string; revision?: string }; blob?: { url?: string }; registry?: { image?: string }; subPath?: string } };
}
interface BuildStatus {
  latestImage?: string;
  latestCacheImage?: string;
  latestAttestationImage?: string;
  lifecycleVersion?: string;
  stack?: { id?: string; runImage?: string };
  buildMetadata?: Array<{ id?: string; version?: string }> | null;
}

const buildNumber = (b: KubeObject) => Number(b.metadata?.labels?.[BUILD_LABEL.buildNumber] ?? NaN);
const succeeded = (b: KubeObject) => condition(b, CONDITION.Succeeded)?.status === "True";

/**
 * The Build that produced `latestImage`: the highest-numbered successful one
 * that pushed it. A later build that failed, or one still running, does not
 * count; none when kpack's history limit has removed it.
 */
export function provenanceBuild(builds: readonly KubeObject[], latestImage: string | undefined): KubeObject | undefined {
  if (!latestImage) return undefined;
  return builds
    .filter((b) => succeeded(b) && (status(b) as BuildStatus).latestImage === latestImage)
    .sort((a, b) => buildNumber(b) - buildNumber(a))[0];
}

/** The provenance output of one successful Build. */
export function provenanceOf(build: KubeObject): BuildProvenance {
  const s = status(build) as BuildStatus;
  const src = (build as BuildObject).spec?.source ?? {};
  const source: BuildProvenance["source"] = src.git?.url
    ? { git: { url: src.git.url, revision: src.git.revision ?? "" } }
    : src.blob?.url
      ? { blob: { url: src.blob.url } }
      : src.registry?.image
        ? { registry: { image: src.registry.image } }
        : {};
  if (src.subPath) source.subPath = src.subPath;
  const n = buildNumber(build);
  return {
    build: build.metadata?.name ?? "",
    ...(Number.isFinite(n) ? { buildNumber: n } : {}),
    reason: build.metadata?.annotations?.[BUILD_ANNOTATION.reason] ?? "",
    image: s.latestImage ?? "",
    source,
    buildpacks: (s.buildMetadata ?? []).map((b) => ({ id: b.id ?? "", version: b.version ?? "" })),
    runImage: s.stack?.runImage ?? "",
    stackId: s.stack?.id ?? "",
    ...(s.lifecycleVersion ? { lifecycleVersion: s.lifecycleVersion } : {}),
    ...(s.latestCacheImage ? { cacheImage: s.latestCacheImage } : {}),
    ...(s.latestAttestationImage ? { attestationImage: s.latestAttestationImage } : {}),
  };
}

/** A short name for what was built: the commit (7 characters), the blob, or the registry image's digest. */
export function sourceSummary(p: Pick<BuildProvenance, "source">): string | undefined {
  const { git, blob, registry } = p.source;
  if (git) return /^[0-9a-f]{40}$/.test(git.revision) ? git.revision.slice(0, 7) : git.revision || undefined;
  if (registry) {
    const digest = /@(sha256:[0-9a-f]{7})/.exec(registry.image)?.[1];
    return digest ?? registry.image;
  }
  if (blob) return blob.url.split("/").pop() || undefined;
  return undefined;
}

interface RefreshedOutputs {
  buildCounter?: unknown;
  latestImage?: unknown;
  latestBuildRef?: unknown;
  latestBuildReason?: unknown;
  provenance?: unknown;
  conditions?: unknown;
}

/**
 * The line `pulumi preview --refresh` (and `pulumi refresh`) prints next to
 * an Image kpack built on its own since the last `up`, from the stored
 * outputs and the refreshed ones; none when kpack started no build.
 * "kpack built #3 (COMMIT 1a2b3c4) since the last up: the digest changes".
 */
export function refreshLine(state: RefreshedOutputs, live: RefreshedOutputs): string | undefined {
  const before = typeof state.buildCounter === "number" ? state.buildCounter : 0;
  const after = typeof live.buildCounter === "number" ? live.buildCounter : 0;
  if (after <= before) return undefined;
  const builds = after - before === 1 ? `#${after}` : `#${before + 1}–#${after}`;
  const p = live.provenance as BuildProvenance | undefined;
  const reason = (typeof live.latestBuildReason === "string" ? live.latestBuildReason : (p?.reason ?? "")) || "a build";
  // The source detail belongs to the build that made the digest, when that is the latest one.
  const detail = p && p.build === live.latestBuildRef && /COMMIT/.test(reason) ? sourceSummary(p) : undefined;
  const why = detail ? `${reason} ${detail}` : reason;
  const changed = live.latestImage !== state.latestImage;
  const failedLatest = p?.build !== live.latestBuildRef && live.latestImage === state.latestImage;
  if (failedLatest)
    return `kpack started build ${builds} (${why}) since the last up, and it has made no new image (it failed, or still runs): the digest stays`;
  return `kpack built ${builds} (${why}) since the last up: ${changed ? "the digest changes" : "the digest stays (the same image)"}`;
}

/**
 * The provenance output of a live Image (I/O): one GET of the Build its
 * status names, which is the one that pushed latestImage unless a later
 * build failed or runs; only then a list of the Image's Builds.
 */
export async function readProvenance(k: Kube, image: KubeObject): Promise<Props> {
  const s = status(image) as { latestImage?: string; latestBuildRef?: string };
  // An explicit undefined: a refresh must drop provenance the stored state still has.
  if (!s.latestImage) return { provenance: undefined };
  const ns = image.metadata?.namespace;
  const latest = s.latestBuildRef
    ? await get(k, { apiVersion: image.apiVersion ?? "kpack.io/v1alpha2", kind: "Build", name: s.latestBuildRef, namespace: ns })
    : undefined;
  let build = latest && provenanceBuild([latest], s.latestImage);
  if (!build) {
    const l = await k.objects.list(
      image.apiVersion ?? "kpack.io/v1alpha2",
      "Build",
      ns,
      undefined,
      undefined,
      undefined,
      undefined,
      `${BUILD_LABEL.image}=${image.metadata?.name}`,
    );
    build = provenanceBuild(l.items as KubeObject[], s.latestImage);
  }
  return { provenance: build ? provenanceOf(build) : undefined };
}
