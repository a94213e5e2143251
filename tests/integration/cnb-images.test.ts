import * as assert from "node:assert/strict";
import { sourceTreeHash } from "../../devenv/image-files";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { spawnSync } from "node:child_process";
import { testEnv } from "../../devenv/test-env";
import type { KpackEnv } from "../../devenv/kpack-env";
import { CNB_GROUP_ID, CNB_USER_ID } from "../../devenv/cnb-images";
import { getManifest } from "../../devenv/registry";
import { scratchDir } from "../../devenv/processes";
import { versions } from "../../devenv/versions";
import type { KubeObject } from "../../provider/kube/objects";

/**
 * The images the test environment pushes are real, proven without any pod
 * runner: each is pulled from the local registry as a registry client would,
 * its layers unpacked on the host, and its programs run there (the binaries
 * are static). The real lifecycle's detector and builder run the test
 * buildpack on an app, and the labels are the ones kpack reads.
 */
interface Pulled {
  config: { config: { Labels?: Record<string, string>; Env?: string[]; User?: string; Entrypoint?: string[] }; os: string; architecture: string };
  /** Each layer's diffID and where its tar was written, in order. */
  layers: Array<{ diffID: string; tar: string }>;
}

/** Runs a program, as the CNB user when we are root (the lifecycle refuses to run as root). */
function run(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  const asCnb = process.getuid?.() === 0;
  const argv = asCnb ? ["--reuid", String(CNB_USER_ID), "--regid", String(CNB_GROUP_ID), "--clear-groups", cmd, ...args] : args;
  const r = spawnSync(asCnb ? "setpriv" : cmd, argv, {
    cwd: opts.cwd,
    env: { PATH: "/usr/bin:/bin", ...opts.env },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout, stderr: r.stderr };
}

describe("CNB images (pulled and run on the host)", function () {
  let kp: KpackEnv;
  let dir: string;
  let forget: () => void;

  /** Pulls a loopback image: manifest, config, and each layer's tar (checked against its diffID). */
  async function pull(ref: string, name: string): Promise<Pulled> {
    const m = /^([^/]+)\/([^@:]+)/.exec(ref);
    assert.ok(m, `loopback reference: ${ref}`);
    const blob = async (digest: string) => {
      const r = await fetch(`http://${m[1]}/v2/${m[2]}/blobs/${digest}`, { signal: AbortSignal.timeout(30_000) });
      assert.equal(r.status, 200, `blob ${digest} of ${ref}`);
      const b = Buffer.from(await r.arrayBuffer());
      assert.equal(`sha256:${crypto.createHash("sha256").update(b).digest("hex")}`, digest, `blob ${digest} of ${ref} matches its digest`);
      return b;
    };
    const manifest = JSON.parse((await getManifest(ref)).body ?? "{}") as { config: { digest: string }; layers: Array<{ digest: string }> };
    const config = JSON.parse((await blob(manifest.config.digest)).toString("utf8")) as Pulled["config"] & { rootfs: { diff_ids: string[] } };
    const layers: Pulled["layers"] = [];
    for (const [i, l] of manifest.layers.entries()) {
      const tar = zlib.gunzipSync(await blob(l.digest));
      const diffID = `sha256:${crypto.createHash("sha256").update(tar).digest("hex")}`;
      assert.equal(diffID, config.rootfs.diff_ids[i], `layer ${i} of ${ref}: diffID as the config says`);
      const file = path.join(dir, `${name}-${i}.tar`);
      fs.writeFileSync(file, tar);
      layers.push({ diffID, tar: file });
    }
    return { config, layers };
  }

  /** Unpacks these layers in order into a fresh directory, keeping the owners in the tars. */
  function unpack(name: string, layers: Pulled["layers"]): string {
    const root = path.join(dir, name);
    fs.mkdirSync(root, { recursive: true });
    for (const l of layers) {
      const r = spawnSync("tar", ["-xf", l.tar, "-C", root, "--numeric-owner", "--same-owner", "--same-permissions"], { encoding: "utf8" });
      assert.equal(r.status, 0, `tar -xf ${l.tar}: ${r.stderr}`);
    }
    return root;
  }

  let lifecycleRoot: Promise<{ img: Pulled; root: string }> | undefined;
  /** The lifecycle image pulled, and its last layer (the one kpack copies into builders, create_builder.go getLifecycleLayer) unpacked. */
  function lifecycle(): Promise<{ img: Pulled; root: string }> {
    lifecycleRoot ??= pull(kp.images.lifecycleImage, "lifecycle").then((img) => ({ img, root: unpack("lifecycle", img.layers.slice(-1)) }));
    return lifecycleRoot;
  }

  /** Numeric owner and mode of an entry of a layer tar, from `tar -tv`. */
  function listing(tar: string, entry: string): string {
    const r = spawnSync("tar", ["-tvf", tar, "--numeric-owner"], { encoding: "utf8", maxBuffer: 64 << 20 });
    const line = r.stdout.split("\n").find((l) => l.endsWith(` ${entry}`) || l.endsWith(` ${entry}/`) || l.includes(` ${entry} -> `));
    assert.ok(line, `${entry} in ${tar}`);
    return line;
  }

  before(async function () {
    const env = await testEnv();
    kp = await env.kpack();
    // Not under the environment's work dir: the CNB user must be able to reach it.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-kpack-cnb-images-"));
    fs.chmodSync(dir, 0o755);
    forget = scratchDir(dir, { always: true });
  });

  after(() => {
    if (!dir) return;
    fs.rmSync(dir, { recursive: true, force: true });
    forget();
  });

  it("lifecycle image: the real lifecycle 0.20.12 in the last layer, with the labels kpack's ClusterLifecycle reader takes", async () => {
    const { img, root } = await lifecycle();
    const labels = img.config.config.Labels ?? {};
    assert.equal(labels["io.buildpacks.lifecycle.version"], versions.lifecycle);
    const apis = JSON.parse(labels["io.buildpacks.lifecycle.apis"]) as { platform: { supported: string[] }; buildpack: { supported: string[] } };
    // kpack makes build pods for Platform API 0.7-0.9 only (build_pod.go), and the test buildpacks are API 0.10.
    assert.ok(apis.platform.supported.includes("0.9"), `platform APIs ${apis.platform.supported.join(", ")} include 0.9`);
    assert.ok(apis.buildpack.supported.includes("0.10"), `buildpack APIs ${apis.buildpack.supported.join(", ")} include 0.10`);
    assert.deepEqual((JSON.parse(labels["io.buildpacks.builder.metadata"]) as { lifecycle?: { version?: string } }).lifecycle, {
      version: versions.lifecycle,
    });
    assert.deepEqual([img.config.os, img.config.architecture], ["linux", "amd64"]);

    const lifecycleBin = path.join(root, "cnb/lifecycle/lifecycle");
    const version = run(lifecycleBin, ["-version"]);
    assert.equal(version.status, 0, version.out);
    assert.equal(version.stdout.trim(), versions.lifecycle);
    for (const phase of ["analyzer", "detector", "restorer", "builder", "exporter", "rebaser", "creator"]) {
      assert.equal(fs.readlinkSync(path.join(root, "cnb/lifecycle", phase)), "lifecycle", `${phase} is the multi-call lifecycle`);
    }
    assert.ok(fs.statSync(path.join(root, "cnb/lifecycle/launcher")).mode & 0o111, "launcher is executable");
    // A phase picks itself from argv[0] and checks the Platform API it is asked for.
    const phase = run(path.join(root, "cnb/lifecycle/detector"), ["-version"], { env: { CNB_PLATFORM_API: "0.9" } });
    assert.equal(phase.status, 0, phase.out);
    assert.equal(phase.stdout.trim(), versions.lifecycle);
  });

  it("buildpackages: the labels kpack reads, and the real lifecycle detects and builds an app with them", async () => {
    const order: string[] = [];
    const bpRoot = path.join(dir, "buildpacks-root");
    for (const bp of kp.images.buildpacks) {
      const img = await pull(bp.image, bp.id.replace(/\//g, "_"));
      const labels = img.config.config.Labels ?? {};
      assert.deepEqual((JSON.parse(labels["io.buildpacks.buildpackage.metadata"]) as { id?: string }).id, bp.id);
      const layers = JSON.parse(labels["io.buildpacks.buildpack.layers"]) as Record<string, Record<string, { api: string; layerDiffID: string }>>;
      assert.equal(layers[bp.id][bp.version].layerDiffID, img.layers[0].diffID, "the layers label names the buildpack's layer by its diffID");
      assert.equal(bp.diffID, img.layers[0].diffID);
      unpack("buildpacks-root", img.layers);
      order.push(`[[order.group]]\nid = "${bp.id}"\nversion = "${bp.version}"\n`);
    }
    const buildpacks = path.join(bpRoot, "cnb/buildpacks");
    const hello = kp.images.buildpacks.find((b) => b.id.endsWith("/hello"));
    assert.ok(hello);
    const helloDir = path.join(buildpacks, hello.id.replace(/\//g, "_"), hello.version);
    assert.match(fs.readFileSync(path.join(helloDir, "buildpack.toml"), "utf8"), new RegExp(`id = "${hello.id}"`));

    const work = path.join(dir, "work");
    const app = path.join(work, "app");
    const layers = path.join(work, "layers");
    for (const d of [app, layers, path.join(work, "platform")]) fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(app, "index.html"), "<h1>hello</h1>\n");
    fs.writeFileSync(path.join(work, "order.toml"), `[[order]]\n${order.join("")}`);
    if (process.getuid?.() === 0) spawnSync("chown", ["-R", `${CNB_USER_ID}:${CNB_GROUP_ID}`, work]);
    const { root } = await lifecycle();
    const lc = (phase: string, args: string[]) =>
      run(
        path.join(root, "cnb/lifecycle", phase),
        [
          "-buildpacks",
          buildpacks,
          "-app",
          app,
          "-layers",
          layers,
          "-platform",
          path.join(work, "platform"),
          "-group",
          path.join(layers, "group.toml"),
          "-plan",
          path.join(layers, "plan.toml"),
          ...args,
        ],
        { cwd: app, env: { CNB_PLATFORM_API: "0.9" } },
      );

    const detect = lc("detector", ["-order", path.join(work, "order.toml")]);
    assert.equal(detect.status, 0, detect.out);
    for (const bp of kp.images.buildpacks) assert.match(fs.readFileSync(path.join(layers, "group.toml"), "utf8"), new RegExp(`id = "${bp.id}"`));

    const build = lc("builder", []);
    assert.equal(build.status, 0, build.out);
    assert.match(build.out, /pulumi-kpack-test\/hello: cache layer not found: first build/);
    const proof = fs.readFileSync(path.join(layers, hello.id.replace(/\//g, "_"), "proof", "proof.txt"), "utf8");
    // The hash of exactly the app's files, and no build count (it would make same-source digests differ).
    assert.equal(proof, `buildpack=${hello.id}\nsource-sha256=${sourceTreeHash({ "index.html": "<h1>hello</h1>\n" })}\n`);
    assert.match(fs.readFileSync(path.join(layers, "config", "metadata.toml"), "utf8"), /type = "web"/);

    // The knobs: files in the app make detect and build fail, with the buildpack's message.
    fs.writeFileSync(path.join(app, "fail-build"), "compile error in main.c\n");
    const failed = lc("builder", []);
    assert.notEqual(failed.status, 0, failed.out);
    assert.match(failed.stderr, /pulumi-kpack-test\/hello: build failed: compile error in main.c/);
    fs.renameSync(path.join(app, "fail-build"), path.join(app, "fail-detect"));
    const undetected = lc("detector", ["-order", path.join(work, "order.toml"), "-group", path.join(work, "group2.toml")]);
    assert.notEqual(undetected.status, 0, undetected.out);
    assert.match(undetected.out, /detect fails because the app has fail-detect/);
    assert.match(undetected.out, /No buildpack groups passed detection/);
  });

  it("stack images: a root filesystem with a shell and the CNB user, and the labels kpack's ClusterStack reader takes", async () => {
    const build = await pull(kp.images.buildImage, "stack-build");
    const run_ = await pull(kp.images.runImage, "stack-run");
    for (const img of [build, run_]) {
      assert.equal(img.config.config.Labels?.["io.buildpacks.stack.id"], kp.images.stackId);
      assert.equal(img.config.config.User, `${CNB_USER_ID}:${CNB_GROUP_ID}`);
    }
    assert.ok(
      build.config.config.Env?.includes(`CNB_USER_ID=${CNB_USER_ID}`) && build.config.config.Env?.includes(`CNB_GROUP_ID=${CNB_GROUP_ID}`),
      `build image env: ${build.config.config.Env?.join(" ")}`,
    );
    const root = unpack("stack", run_.layers);
    assert.match(fs.readFileSync(path.join(root, "etc/passwd"), "utf8"), new RegExp(`^cnb:x:${CNB_USER_ID}:${CNB_GROUP_ID}:`, "m"));
    assert.match(fs.readFileSync(path.join(root, "etc/group"), "utf8"), new RegExp(`^cnb:x:${CNB_GROUP_ID}:`, "m"));
    assert.match(listing(run_.layers[0].tar, "home/cnb"), new RegExp(`^d\\S+ ${CNB_USER_ID}/${CNB_GROUP_ID} `));
    assert.match(listing(run_.layers[0].tar, "tmp"), /^drwxrwxrwt /);
    assert.equal(fs.readlinkSync(path.join(root, "bin/sh")), "/bin/busybox");
    const sh = run(path.join(root, "bin/busybox"), ["sh", "-c", "echo shell works; id -u"]);
    assert.equal(sh.status, 0, sh.out);
    assert.match(sh.stdout, /^shell works\n/);
  });

  it("kpack's build-init, completion, rebase and build-waiter images: their binaries where the build pod runs them, named in kpack's config", async () => {
    const names = { buildInit: "build-init", completion: "completion", rebase: "rebase", buildWaiter: "build-waiter" } as const;
    const configMaps = new Map(
      kp.manifest
        .filter((o) => o.kind === "ConfigMap")
        .map((o) => [o.metadata?.name, (o as KubeObject & { data?: Record<string, string> }).data?.image]),
    );
    for (const [key, name] of Object.entries(names) as Array<[keyof typeof names, string]>) {
      const ref = kp.images.kpack[key];
      assert.equal(configMaps.get(`${name}-image`), ref, `kpack's ${name}-image ConfigMap names the pushed image`);
      const img = await pull(ref, name);
      assert.deepEqual(img.config.config.Entrypoint, [`/cnb/process/${name}`]);
      const root = unpack(name, img.layers.slice(-1));
      const help = run(path.join(root, "cnb/process", name), ["-h"]);
      assert.equal(help.status, 0, help.out);
      assert.match(help.out, new RegExp(`Usage of .*/cnb/process/${name}:`));
    }
  });
});
