import { containsUnknown, deepEqual, Props } from "../../values";

/**
 * What an Image change will build, pure, for `pulumi preview`: one line from
 * the stored state (inputs and outputs, buildCounter among them) and the new
 * checked inputs, following kpack v0.17.2's rules
 * (pkg/reconciler/image/build_required.go, pkg/buildchange):
 *  - TRIGGER: triggerBuild changed (pulumi-kpack asks for the build);
 *  - COMMIT: source.git.revision changed, when it resolves to another commit;
 *  - CONFIG: source (anything but the git revision), build.env,
 *    build.resources or build.services changed;
 *  - a builder change: kpack builds when the new builder's buildpacks, stack
 *    or lifecycle differ, and pulumi-kpack asks for a build when they do not
 *    (rebuildOnBuilderChange);
 *  - anything else in the spec (additionalTags, cache, history limits, the
 *    ServiceAccount, imageTaggingStrategy, defaultProcess, …) starts no build
 *    and takes effect at the next one.
 * A value not known until apply makes it "may build".
 */

/** Spec inputs whose change starts no build (kpack's CONFIG compares none of them). */
const NEXT_BUILD = [
  "additionalTags",
  "cache",
  "serviceAccountName",
  "managedServiceAccount",
  "failedBuildHistoryLimit",
  "successBuildHistoryLimit",
  "imageTaggingStrategy",
  "projectDescriptorPath",
  "defaultProcess",
  "cosign",
] as const;

/** Parts of spec.build kpack's CONFIG compares; the others (scheduling, buildTimeout, creationTime) start no build. */
const BUILD_CONFIG = ["env", "resources", "services"] as const;

/** Inputs that are pulumi-kpack's own settings, not part of the Image. */
const SETTINGS = [
  "timeoutSeconds",
  "forceConflicts",
  "adopt",
  "skipAwait",
  "rebuildOnBuilderChange",
  "kubeconfig",
  "context",
  "installKpack",
  "providerVersion",
] as const;

/** Inputs whose change replaces the Image (a new Image starts at build #1). */
const REPLACING = ["tag", "name", "namespace"] as const;

/** Every Image input by what its change does, for tests that no input goes untold. */
export const IMAGE_INPUTS_BY_EFFECT = {
  replaces: REPLACING,
  builds: ["source", "build", "builder", "triggerBuild"],
  nextBuild: NEXT_BUILD,
  settings: SETTINGS,
} as const;

interface Reason {
  /** kpack's build reason, or "builder" for a builder change. */
  reason: "TRIGGER" | "COMMIT" | "CONFIG" | "builder";
  field: string;
  /** When it does not build after all. */
  unless?: string;
}

const obj = (v: unknown): Props => (v && typeof v === "object" && !Array.isArray(v) ? (v as Props) : {});
const changed = (a: unknown, b: unknown) => !deepEqual(a, b) || containsUnknown(b);

/** Which fields of the source changed, as kpack's CONFIG sees them (the git revision is COMMIT's). */
function sourceChanges(was: Props, now: Props): { config: string[]; commit: boolean } {
  const kind = (s: Props) => ["git", "blob", "registry"].find((k) => s[k] !== undefined);
  const [k0, k1] = [kind(was), kind(now)];
  if (k0 !== k1) return { config: ["source"], commit: false };
  const config: string[] = [];
  if (changed(was.subPath, now.subPath)) config.push("source.subPath");
  if (k1) {
    const [a, b] = [obj(was[k1]), obj(now[k1])];
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (k1 === "git" && key === "revision") continue;
      if (changed(a[key], b[key])) config.push(`source.${k1}.${key}`);
    }
  }
  return { config, commit: k1 === "git" && changed(obj(was.git).revision, obj(now.git).revision) };
}

const list = (xs: readonly string[]) => (xs.length > 1 ? `${xs.slice(0, -1).join(", ")} and ${xs[xs.length - 1]}` : (xs[0] ?? ""));

/**
 * The preview line of an Image change: "will build #4: CONFIG (source.git.url)",
 * "no build: additionalTags take effect at the next build", … `olds`: the
 * stored state, undefined for a new Image; `news`: the checked inputs.
 */
export function describeImageChange(olds: Props | undefined, news: Props): string | undefined {
  const notWaited = news.skipAwait === true ? " (skipAwait: not waited for)" : "";
  if (!olds) {
    return news.adopt === true
      ? `takes over Image ${typeof news.name === "string" ? news.name : ""} if it exists (no build when its spec matches, its build history kept), else will build #1: a new Image${notWaited}`
      : `will build #1: a new Image${notWaited}`;
  }
  const replacedBy = REPLACING.filter((k) => changed(olds[k], news[k]));
  if (replacedBy.length) return `will build #1: ${list(replacedBy)} changed, which replaces the Image${notWaited}`;

  const reasons: Reason[] = [];
  const notes: string[] = [];
  const waits = news.skipAwait !== true;
  if (news.triggerBuild !== undefined && changed(olds.triggerBuild, news.triggerBuild)) {
    // Asked for by the wait (provider/kinds/image/trigger.ts), which skipAwait skips.
    if (waits) reasons.push({ reason: "TRIGGER", field: "triggerBuild" });
    else notes.push("triggerBuild asks for no build while skipAwait is set (pulumi-kpack asks only while it waits)");
  } else if (news.triggerBuild === undefined && olds.triggerBuild !== undefined) {
    notes.push("triggerBuild removed (only a new value asks for a build)");
  }
  const source = sourceChanges(obj(olds.source), obj(news.source));
  if (source.commit) reasons.push({ reason: "COMMIT", field: "source.git.revision", unless: "the new revision is the commit already built" });
  const [b0, b1] = [obj(olds.build), obj(news.build)];
  // A whole build block not known until apply may change anything in it.
  const buildConfig =
    typeof news.build === "string" && containsUnknown(news.build)
      ? ["build"]
      : BUILD_CONFIG.filter((k) => changed(b0[k], b1[k])).map((k) => `build.${k}`);
  for (const field of [...source.config, ...buildConfig]) {
    reasons.push({ reason: "CONFIG", field });
  }
  if (changed(olds.builder, news.builder)) {
    const why = !waits
      ? "skipAwait is set, so pulumi-kpack asks for none"
      : news.rebuildOnBuilderChange === false
        ? "rebuildOnBuilderChange is false"
        : undefined;
    reasons.push({
      reason: "builder",
      field: "builder",
      unless: why && `the new builder has the buildpacks, stack and lifecycle of the last build (kpack #1198; ${why})`,
    });
  }

  const nextBuild = [
    ...NEXT_BUILD.filter((k) => changed(olds[k], news[k])),
    ...(buildConfig.includes("build")
      ? []
      : Object.keys({ ...b0, ...b1 })
          .filter((k) => !(BUILD_CONFIG as readonly string[]).includes(k) && changed(b0[k], b1[k]))
          .map((k) => `build.${k}`)),
  ];
  const counter = typeof olds.buildCounter === "number" ? olds.buildCounter : undefined;
  const number = counter !== undefined ? ` #${counter + 1}` : "";
  const noted = notes.length ? `; ${notes.join("; ")}` : "";

  if (reasons.length) {
    const kpack = reasons.filter((r) => r.reason !== "builder");
    const head = [
      ...(kpack.length ? [`${[...new Set(kpack.map((r) => r.reason))].join(",")} (${kpack.map((r) => r.field).join(", ")})`] : []),
      ...(reasons.length > kpack.length ? ["builder changed"] : []),
    ].join(", ");
    const also = nextBuild.length ? `; it also applies ${list(nextBuild)}` : "";
    if (reasons.some((r) => !r.unless && !containsUnknownAt(news, r.field))) return `will build${number}: ${head}${also}${notWaited}${noted}`;
    const unknown = reasons.filter((r) => containsUnknownAt(news, r.field)).map((r) => r.field);
    const caveat = unknown.length
      ? `: ${list(unknown)} ${unknown.length > 1 ? "are" : "is"} known only at apply`
      : `, unless ${reasons.map((r) => r.unless).join(", and unless ")}`;
    return `may build${number}: ${head}${caveat}${also}${noted}`;
  }
  if (nextBuild.length) {
    const verb = nextBuild.length > 1 || PLURAL.has(nextBuild[0]) ? "take" : "takes";
    return `no build: ${list(nextBuild)} ${verb} effect at the next build (change triggerBuild to build now)${noted}`;
  }
  if (notes.length) return `no build: ${notes.join("; ")}`;
  const settings = SETTINGS.filter((k) => changed(olds[k], news[k]));
  return settings.length ? `no build: only pulumi-kpack settings changed (${list(settings)})` : undefined;
}

/** Field names that read as plurals. */
const PLURAL = new Set(["additionalTags", "build.tolerations"]);

/** True when the input at a dotted field path holds a value not known until apply. */
function containsUnknownAt(news: Props, field: string): boolean {
  let cur: unknown = news;
  for (const key of field.split(".")) cur = obj(cur)[key];
  return containsUnknown(cur);
}
