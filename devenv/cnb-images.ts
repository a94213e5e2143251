import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { binaries, ensureBinary } from "./binaries";
import { buildImage, Pushed } from "./imagetool";
import { kpackImageTag } from "./kpack-manifest";
import { cacheRoot } from "./paths";
import { versions } from "./versions";

/**
 * Cloud Native Buildpacks images for the local registry, all real: a stack
 * whose build and run images have a root filesystem (Debian's busybox-static,
 * the CNB user), the CNB lifecycle image, kpack's build-pod images
 * (build-init, completion, rebase, build-waiter) and two buildpackages whose
 * bin/detect and bin/build are the devenv/buildpacks program. Labels and
 * config are the ones kpack reads (pkg/cnb remote_*_reader.go,
 * create_builder.go) and the lifecycle reads (platform/run_image.go, labels.go).
 */
export const STACK_ID = "io.buildpacks.stacks.pulumi-kpack-test";
export const LIFECYCLE_VERSION = versions.lifecycle;
export const CNB_USER_ID = 1000;
export const CNB_GROUP_ID = 1000;

/** What scripts/build/lifecycle.sh read from the lifecycle's api/apis.go. */
interface LifecycleDescriptor {
  version: string;
  apis: { buildpack: ApiVersions; platform: ApiVersions };
}
interface ApiVersions {
  supported: string[];
  deprecated: string[];
}

export interface BuildpackInfo {
  id: string;
  version: string;
  /** Reference of the buildpackage image (by tag). */
  image: string;
  digestRef: string;
  diffID: string;
}

/** kpack's build-pod images, by the names of its release config (build-init, completion, rebase, build-waiter). */
export interface KpackBuildImages {
  buildInit: string;
  completion: string;
  rebase: string;
  buildWaiter: string;
}

export interface CnbImages {
  stackId: string;
  buildImage: string;
  runImage: string;
  lifecycleImage: string;
  lifecycleVersion: string;
  /** Platform and Buildpack APIs the lifecycle supports, as its image's labels say. */
  lifecycleApis: { buildpack: ApiVersions; platform: ApiVersions };
  buildpacks: BuildpackInfo[];
  /** Tags of kpack's build-pod images; the same names loopbackImages() gives kpack's config. */
  kpack: KpackBuildImages;
  /** Digest refs of everything pushed, by name. */
  pushed: Record<string, Pushed>;
}

/** The buildpack whose id ends in /hello declares the web process (devenv/buildpacks/main.go). */
export const BUILDPACKS = [
  { id: "pulumi-kpack-test/hello", version: "1.0.0", repo: "hello" },
  { id: "pulumi-kpack-test/static", version: "2.0.0", repo: "static" },
];
/** Buildpack API the test buildpacks are written against. */
export const BUILDPACK_API = "0.10";

/** Where kpack's build pod runs its own binaries (build_pod.go PrepareCommand etc.). */
export const KPACK_PROCESS_DIR = "cnb/process";
/** In the order of KpackBuildImages' fields. */
const KPACK_COMMANDS = ["build-init", "completion", "rebase", "build-waiter"] as const;

const PATH_ENV = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * The stack's root filesystem: busybox with its applet links, the CNB user
 * and group, a world-writable /tmp and the CNB user's home.
 */
function stackRootfs(scratch: string): { dir: string; distroVersion: string } {
  const busybox = ensureBinary(binaries.busybox);
  const dir = path.join(scratch, "rootfs");
  fs.rmSync(dir, { recursive: true, force: true });
  const mk = (rel: string, mode = 0o755) => {
    fs.mkdirSync(path.join(dir, rel), { recursive: true });
    fs.chmodSync(path.join(dir, rel), mode);
  };
  for (const d of ["bin", "sbin", "usr/bin", "usr/sbin", "etc", "root", "home/cnb"]) mk(d);
  mk("tmp", 0o1777);
  fs.copyFileSync(busybox, path.join(dir, "bin/busybox"));
  fs.chmodSync(path.join(dir, "bin/busybox"), 0o755);
  const list = spawnSync(busybox, ["--list-full"], { encoding: "utf8" });
  if (list.status !== 0) throw new Error(`${busybox} --list-full failed: ${list.stderr}`);
  for (const applet of list.stdout
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && l !== "bin/busybox")) {
    const at = path.join(dir, applet);
    fs.mkdirSync(path.dirname(at), { recursive: true });
    if (!fs.existsSync(at)) fs.symlinkSync("/bin/busybox", at);
  }
  const banner = spawnSync(busybox, [], { encoding: "utf8" });
  const distroVersion = /BusyBox v([0-9.]+)/.exec(banner.stdout + banner.stderr)?.[1] ?? "unknown";
  const files: Record<string, string> = {
    "etc/passwd": `root:x:0:0:root:/root:/bin/sh\ncnb:x:${CNB_USER_ID}:${CNB_GROUP_ID}:cnb:/home/cnb:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n`,
    "etc/group": `root:x:0:\ncnb:x:${CNB_GROUP_ID}:\nnogroup:x:65534:\n`,
    "etc/os-release": `NAME="BusyBox"\nID=busybox\nVERSION_ID=${distroVersion}\nPRETTY_NAME="pulumi-kpack test stack (Debian busybox-static ${distroVersion})"\n`,
  };
  for (const [rel, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, rel), content, { mode: 0o644 });
  return { dir, distroVersion };
}

/** A directory holding exactly `entries` (name → file to copy, or symlink target), for a layer. */
function layerDir(parent: string, name: string, entries: Record<string, { copy: string } | { link: string }>): string {
  const dir = path.join(parent, name);
  fs.rmSync(dir, { recursive: true, force: true });
  for (const [rel, e] of Object.entries(entries)) {
    const at = path.join(dir, rel);
    fs.mkdirSync(path.dirname(at), { recursive: true });
    if ("copy" in e) {
      fs.copyFileSync(e.copy, at);
      fs.chmodSync(at, 0o755);
    } else fs.symlinkSync(e.link, at);
  }
  return dir;
}

/**
 * A buildpackage of the test buildpack (devenv/buildpacks) under `bp`'s id and
 * version, pushed as `tag`: a new version under a tag a ClusterStore reads is
 * how a buildpack update reaches kpack.
 */
export async function pushBuildpackage(scratch: string, bp: { id: string; version: string; repo: string }, tag: string): Promise<Pushed> {
  const dir = layerDir(scratch, `bp-${bp.repo}-${bp.version}`, {
    "bin/buildpack": { copy: ensureBinary(binaries.buildpacks) },
    "bin/detect": { link: "buildpack" },
    "bin/build": { link: "buildpack" },
  });
  fs.writeFileSync(
    path.join(dir, "buildpack.toml"),
    `api = "${BUILDPACK_API}"\n\n[buildpack]\nid = "${bp.id}"\nversion = "${bp.version}"\nname = "pulumi-kpack test buildpack ${bp.repo}"\n\n[[stacks]]\nid = "${STACK_ID}"\n`,
  );
  return buildImage({
    layerCache: path.join(cacheRoot(), "image-layers"),
    // Buildpack layers live at /cnb/buildpacks/<id with / as _>/<version>.
    layers: [{ dir, prefix: `cnb/buildpacks/${bp.id.replace(/\//g, "_")}/${bp.version}` }],
    labels: {
      "io.buildpacks.buildpackage.metadata": JSON.stringify({ id: bp.id, version: bp.version, homepage: "", stacks: [{ id: STACK_ID }] }),
      "io.buildpacks.buildpack.layers": JSON.stringify({
        [bp.id]: { [bp.version]: { api: BUILDPACK_API, layerDiffID: "{{diffID:0}}", stacks: [{ id: STACK_ID }] } },
      }),
    },
    tags: [tag],
  });
}

/**
 * Builds and pushes the images to `registryHost` (127.0.0.1:P): the stack,
 * lifecycle and buildpacks under pulumi-kpack/…, kpack's build-pod images
 * where loopbackImages() points kpack's config. Scratch files go under
 * workDir; compressed layers are kept in the cache by content, so only the
 * first start on a machine compresses the large binaries.
 */
export async function pushCnbImages(registryHost: string, workDir: string): Promise<CnbImages> {
  const scratch = path.join(workDir, "cnb-images");
  fs.mkdirSync(scratch, { recursive: true });
  const layerCache = path.join(cacheRoot(), "image-layers");
  const repo = (name: string) => `${registryHost}/pulumi-kpack/${name}`;

  const lifecycleDir = path.dirname(ensureBinary(binaries.lifecycle));
  const descriptor = JSON.parse(fs.readFileSync(path.join(lifecycleDir, "descriptor.json"), "utf8")) as LifecycleDescriptor;
  if (descriptor.version !== LIFECYCLE_VERSION) {
    throw new Error(
      `${lifecycleDir}/descriptor.json names lifecycle ${descriptor.version}, not ${LIFECYCLE_VERSION}; remove that cache entry so scripts/build/lifecycle.sh rebuilds it.`,
    );
  }
  const kpackDir = path.dirname(ensureBinary(binaries.kpackBuildInit));

  const rootfs = stackRootfs(scratch);
  const rootfsLayer = { dir: rootfs.dir };
  // The CNB user owns its home; everything else is root's.
  const owners = [{ path: "home/cnb", uid: CNB_USER_ID, gid: CNB_GROUP_ID }];
  const stackLabels = {
    "io.buildpacks.stack.id": STACK_ID,
    "io.buildpacks.stack.mixins": "[]",
    "io.buildpacks.base.distro.name": "busybox",
    "io.buildpacks.base.distro.version": rootfs.distroVersion,
  };
  const user = `${CNB_USER_ID}:${CNB_GROUP_ID}`;
  const common = { layerCache, owners, user };

  const [build, run, lifecycle, ...kpackPushed] = await Promise.all([
    buildImage({
      ...common,
      layers: [rootfsLayer],
      labels: stackLabels,
      env: { PATH: PATH_ENV, CNB_USER_ID: String(CNB_USER_ID), CNB_GROUP_ID: String(CNB_GROUP_ID), CNB_STACK_ID: STACK_ID },
      tags: [`${repo("stack/build")}:1`],
    }),
    buildImage({
      ...common,
      layers: [rootfsLayer],
      labels: stackLabels,
      env: { PATH: PATH_ENV, CNB_STACK_ID: STACK_ID },
      tags: [`${repo("stack/run")}:1`],
    }),
    // kpack takes the lifecycle from the image's last layer (create_builder.go
    // getLifecycleLayer), which holds /cnb/lifecycle as the lifecycle's own
    // image does; the rootfs below it makes the image runnable on its own.
    buildImage({
      ...common,
      user: undefined,
      layers: [rootfsLayer, { dir: lifecycleDir, prefix: "cnb/lifecycle" }],
      labels: {
        "io.buildpacks.lifecycle.version": descriptor.version,
        "io.buildpacks.lifecycle.apis": JSON.stringify(descriptor.apis),
        // The deprecated single-API form: the oldest API of each kind, as the lifecycle's image has it.
        "io.buildpacks.builder.metadata": JSON.stringify({
          lifecycle: { version: descriptor.version },
          api: { buildpack: descriptor.apis.buildpack.supported[0], platform: descriptor.apis.platform.supported[0] },
        }),
      },
      env: { PATH: PATH_ENV },
      tags: [`${repo("lifecycle")}:${descriptor.version}`],
    }),
    // Each image holds its own binary only: they are 2-90 MB each, and a
    // build pod pulls two of them.
    ...KPACK_COMMANDS.map((c) =>
      buildImage({
        ...common,
        layers: [rootfsLayer, { dir: layerDir(scratch, `kpack-${c}`, { [c]: { copy: path.join(kpackDir, c) } }), prefix: KPACK_PROCESS_DIR }],
        env: { PATH: PATH_ENV },
        entrypoint: [`/${KPACK_PROCESS_DIR}/${c}`],
        tags: [kpackImageTag(registryHost, c)],
      }),
    ),
  ]);

  const buildpacks = await Promise.all(
    BUILDPACKS.map(async (bp) => {
      const tag = `${repo(`buildpacks/${bp.repo}`)}:${bp.version}`;
      const pushed = await pushBuildpackage(scratch, bp, tag);
      return { id: bp.id, version: bp.version, image: tag, digestRef: pushed.ref, diffID: pushed.diffIDs[0], pushed };
    }),
  );

  const [buildInit, completion, rebase, buildWaiter] = kpackPushed;
  const kpackImages: KpackBuildImages = {
    buildInit: buildInit.tags[0],
    completion: completion.tags[0],
    rebase: rebase.tags[0],
    buildWaiter: buildWaiter.tags[0],
  };
  const pushed: Record<string, Pushed> = { build, run, lifecycle };
  kpackPushed.forEach((p, i) => (pushed[`kpack/${KPACK_COMMANDS[i]}`] = p));
  for (const bp of buildpacks) pushed[bp.id] = bp.pushed;
  return {
    stackId: STACK_ID,
    buildImage: build.tags[0],
    runImage: run.tags[0],
    lifecycleImage: lifecycle.tags[0],
    lifecycleVersion: descriptor.version,
    lifecycleApis: descriptor.apis,
    buildpacks: buildpacks.map(({ pushed: _p, ...rest }) => rest),
    kpack: kpackImages,
    pushed,
  };
}
