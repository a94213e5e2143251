import * as fs from "node:fs";
import * as path from "node:path";
import { buildImage, filesDir, Pushed } from "./imagetool";

/**
 * Cloud Native Buildpacks images for the local registry, carrying exactly the
 * labels and config the kpack controller reads (pkg/cnb remote_*_reader.go,
 * builder_builder.go): a stack (build + run image), a lifecycle and two
 * buildpackages. Their files are small stand-ins; nothing ever executes them.
 */
export const STACK_ID = "io.buildpacks.stacks.pulumi-kpack-test";
export const LIFECYCLE_VERSION = "0.20.0";
export const CNB_USER_ID = 1000;
export const CNB_GROUP_ID = 1000;

/**
 * Platform APIs the lifecycle claims. kpack needs one of 0.3–0.8 to make a
 * builder (builder_builder.go) and one of 0.7–0.9 to make a build pod
 * (build_pod.go supportedPlatformAPIVersions); 0.7–0.9 satisfies both.
 */
export const PLATFORM_APIS = ["0.7", "0.8", "0.9"];
export const BUILDPACK_APIS = ["0.7", "0.8", "0.9", "0.10"];

export interface BuildpackInfo {
  id: string;
  version: string;
  /** Reference of the buildpackage image (by tag). */
  image: string;
  digestRef: string;
  diffID: string;
}

export interface CnbImages {
  stackId: string;
  buildImage: string;
  runImage: string;
  lifecycleImage: string;
  lifecycleVersion: string;
  buildpacks: BuildpackInfo[];
  /** Digest refs of everything pushed, by name. */
  pushed: Record<string, Pushed>;
}

const BUILDPACKS = [
  { id: "pulumi-kpack-test/hello", version: "1.0.0", repo: "hello" },
  { id: "pulumi-kpack-test/static", version: "2.0.0", repo: "static" },
];

/**
 * Builds and pushes the images to `registryHost` (127.0.0.1:P) under
 * pulumi-kpack/…; scratch files go under workDir.
 */
export async function pushCnbImages(registryHost: string, workDir: string): Promise<CnbImages> {
  const scratch = path.join(workDir, "cnb-images");
  fs.mkdirSync(scratch, { recursive: true });
  const repo = (name: string) => `${registryHost}/pulumi-kpack/${name}`;
  const stackLabel = { "io.buildpacks.stack.id": STACK_ID };

  const stackFiles = filesDir(scratch, "stack", {
    "etc/os-release": `NAME="pulumi-kpack test stack"\nID=pulumi-kpack-test\n`,
    "etc/passwd": `root:x:0:0:root:/root:/bin/sh\ncnb:x:${CNB_USER_ID}:${CNB_GROUP_ID}::/home/cnb:/bin/sh\n`,
  });
  const lifecycleBase = filesDir(scratch, "lifecycle-base", { "cnb/lifecycle/README": "pulumi-kpack test lifecycle: files are placeholders.\n" });
  const lifecycleFiles = filesDir(scratch, "lifecycle", Object.fromEntries(
    ["analyzer", "builder", "creator", "detector", "exporter", "launcher", "rebaser", "restorer"].map((b) => [`cnb/lifecycle/${b}`, `#!/bin/sh\necho "${b}: pulumi-kpack test placeholder"\n`]),
  ), 0o755);

  const [build, run, lifecycle] = await Promise.all([
    buildImage({
      layers: [{ dir: stackFiles }],
      labels: { ...stackLabel, "io.buildpacks.stack.mixins": "[]" },
      env: { CNB_USER_ID: String(CNB_USER_ID), CNB_GROUP_ID: String(CNB_GROUP_ID), CNB_STACK_ID: STACK_ID },
      user: `${CNB_USER_ID}:${CNB_GROUP_ID}`,
      tags: [`${repo("stack/build")}:1`],
    }),
    buildImage({
      layers: [{ dir: stackFiles }],
      labels: { ...stackLabel, "io.buildpacks.stack.mixins": "[]" },
      env: { CNB_STACK_ID: STACK_ID },
      user: `${CNB_USER_ID}:${CNB_GROUP_ID}`,
      tags: [`${repo("stack/run")}:1`],
    }),
    // kpack uses the last layer as the lifecycle (create_builder.go); the first
    // one is there so that "last" is a real choice.
    buildImage({
      layers: [{ dir: lifecycleBase }, { dir: lifecycleFiles }],
      labels: {
        "io.buildpacks.builder.metadata": JSON.stringify({
          lifecycle: { version: LIFECYCLE_VERSION },
          api: { buildpack: "0.2", platform: "0.3" },
        }),
        "io.buildpacks.lifecycle.apis": JSON.stringify({
          buildpack: { deprecated: [], supported: BUILDPACK_APIS },
          platform: { deprecated: [], supported: PLATFORM_APIS },
        }),
      },
      tags: [`${repo("lifecycle")}:${LIFECYCLE_VERSION}`],
    }),
  ]);

  const buildpacks = await Promise.all(BUILDPACKS.map(async (bp) => {
    const dir = filesDir(scratch, `bp-${bp.repo}`, {
      "buildpack.toml": `api = "0.7"\n\n[buildpack]\nid = "${bp.id}"\nversion = "${bp.version}"\n\n[[stacks]]\nid = "${STACK_ID}"\n`,
      "bin/detect": "#!/bin/sh\nexit 0\n",
      "bin/build": `#!/bin/sh\necho "${bp.id} ${bp.version}: pulumi-kpack test placeholder"\n`,
    });
    const tag = `${repo(`buildpacks/${bp.repo}`)}:${bp.version}`;
    const pushed = await buildImage({
      // Buildpack layers live at /cnb/buildpacks/<id with / as _>/<version>.
      layers: [{ dir, prefix: `cnb/buildpacks/${bp.id.replace(/\//g, "_")}/${bp.version}` }],
      labels: {
        "io.buildpacks.buildpackage.metadata": JSON.stringify({ id: bp.id, version: bp.version, homepage: "" }),
        "io.buildpacks.buildpack.layers": JSON.stringify({
          [bp.id]: { [bp.version]: { api: "0.7", layerDiffID: "{{diffID:0}}", stacks: [{ id: STACK_ID }] } },
        }),
      },
      tags: [tag],
    });
    return { id: bp.id, version: bp.version, image: tag, digestRef: pushed.ref, diffID: pushed.diffIDs[0], pushed };
  }));

  const pushed: Record<string, Pushed> = { build, run, lifecycle };
  for (const bp of buildpacks) pushed[bp.id] = bp.pushed;
  return {
    stackId: STACK_ID,
    buildImage: build.tags[0],
    runImage: run.tags[0],
    lifecycleImage: lifecycle.tags[0],
    lifecycleVersion: LIFECYCLE_VERSION,
    buildpacks: buildpacks.map(({ pushed: _p, ...rest }) => rest),
    pushed,
  };
}
