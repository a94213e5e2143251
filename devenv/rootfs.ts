import * as fs from "node:fs";
import * as path from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { basicAuth, Credentials, getManifest } from "./registry";

const run = promisify(execFile);

/**
 * Image pulls for the build-pod runner: an image from a loopback registry
 * (registry API v2 over HTTP, basic auth when credentials are given) unpacked
 * into a root filesystem, layer by layer with OCI whiteouts applied, once per
 * manifest digest. Containers never write to these roots: each gets an overlay
 * of its own on top (build-pod-runner.ts).
 */
export interface ImageConfig {
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  User?: string;
}

export interface Rootfs {
  /** "<repository>@<manifest digest>", what a kubelet reports as imageID. */
  imageID: string;
  dir: string;
  config: ImageConfig;
}

export interface ImageRef {
  host: string;
  repository: string;
  /** Tag or digest. */
  reference: string;
}

export function parseImageRef(ref: string): ImageRef {
  const slash = ref.indexOf("/");
  if (slash < 0) throw new Error(`Image ${ref}: the build-pod runner pulls only from a registry named by host (127.0.0.1:PORT/…).`);
  const host = ref.slice(0, slash);
  let rest = ref.slice(slash + 1);
  let reference = "latest";
  const at = rest.indexOf("@");
  if (at >= 0) {
    reference = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  // A tag beside a digest is ignored, as docker does.
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    if (at < 0) reference = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return { host, repository: rest, reference };
}

interface Descriptor {
  digest: string;
  mediaType?: string;
  platform?: { os?: string; architecture?: string };
}

interface Manifest {
  mediaType?: string;
  manifests?: Descriptor[];
  config?: Descriptor;
  layers?: Descriptor[];
}

function isLoopbackHost(host: string): boolean {
  const h = host.replace(/:\d+$/, "");
  return h === "127.0.0.1" || h === "localhost" || h === "[::1]";
}

async function blobGet(image: ImageRef, what: string, creds: Credentials | undefined): Promise<Response> {
  if (!isLoopbackHost(image.host)) throw new Error(`the build-pod runner pulls only from loopback registries, not ${image.host}`);
  const headers: Record<string, string> = {};
  if (creds) headers.authorization = basicAuth(creds);
  const r = await fetch(`http://${image.host}/v2/${image.repository}/${what}`, { headers, signal: AbortSignal.timeout(60_000) });
  if (!r.ok) {
    const hint =
      r.status === 401 ? (creds ? " (the pod's pull credentials were refused)" : " (the pod has no pull credentials for this registry)") : "";
    throw new Error(`GET ${image.host}/${image.repository}/${what}: HTTP ${r.status}${hint}`);
  }
  return r;
}

export class RootfsCache {
  private readonly pulls = new Map<string, Promise<Rootfs>>();

  constructor(private readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
  }

  /** The unpacked root of `ref`, pulled on first use of its manifest digest. */
  async get(ref: string, credentials: Record<string, Credentials>): Promise<Rootfs> {
    const image = parseImageRef(ref);
    const creds = credentials[image.host];
    const manifestOf = async (r: string) => {
      const got = await getManifest(r, creds);
      if (!got.body)
        throw new Error(
          `GET manifest ${r}: HTTP ${got.status}${got.status === 401 ? (creds ? " (the pod's pull credentials were refused)" : " (the pod has no pull credentials for this registry)") : ""}`,
        );
      return { digest: got.digest ?? image.reference, manifest: JSON.parse(got.body) as Manifest };
    };
    let { digest, manifest } = await manifestOf(ref);
    if (manifest.manifests) {
      const m = manifest.manifests.find((d) => d.platform?.os === "linux" && d.platform.architecture === "amd64") ?? manifest.manifests[0];
      if (!m) throw new Error(`Image ${ref}: its index lists no manifests`);
      ({ digest, manifest } = await manifestOf(`${image.host}/${image.repository}@${m.digest}`));
    }
    const key = digest.replace(/^sha256:/, "");
    let pull = this.pulls.get(key);
    if (!pull) {
      pull = this.unpack(image, manifest, key, creds).then((fsDir) => ({
        imageID: `${image.host}/${image.repository}@${digest}`,
        ...fsDir,
      }));
      this.pulls.set(key, pull);
      pull.catch(() => this.pulls.delete(key));
    }
    return pull;
  }

  private async unpack(
    image: ImageRef,
    manifest: Manifest,
    key: string,
    creds: Credentials | undefined,
  ): Promise<{ dir: string; config: ImageConfig }> {
    if (!manifest.config || !manifest.layers) throw new Error(`Image ${image.host}/${image.repository}: its manifest has no config or layers`);
    const config = ((await (await blobGet(image, `blobs/${manifest.config.digest}`, creds)).json()) as { config?: ImageConfig }).config ?? {};
    const base = path.join(this.dir, key);
    const root = path.join(base, "rootfs");
    fs.rmSync(base, { recursive: true, force: true });
    fs.mkdirSync(root, { recursive: true });
    for (const layer of manifest.layers) {
      const file = path.join(base, "layer.tar");
      const body = await (await blobGet(image, `blobs/${layer.digest}`, creds)).arrayBuffer();
      fs.writeFileSync(file, Buffer.from(body));
      await applyLayer(root, file);
      fs.rmSync(file);
    }
    return { dir: root, config };
  }
}

/** Extracts one layer tar (any compression GNU tar detects) over `root`, applying its whiteouts first. */
async function applyLayer(root: string, tarFile: string): Promise<void> {
  const { stdout } = await run("tar", ["-tf", tarFile], { maxBuffer: 64 << 20 });
  for (const entry of stdout.split("\n")) {
    const name = path.posix.normalize(entry.replace(/^\.?\//, ""));
    const base = path.posix.basename(name);
    if (!base.startsWith(".wh.")) continue;
    const parent = path.join(root, path.posix.dirname(name));
    if (!parent.startsWith(root)) continue;
    if (base === ".wh..wh..opq") {
      // Opaque directory: nothing below it from earlier layers survives.
      for (const child of fs.existsSync(parent) ? fs.readdirSync(parent) : []) fs.rmSync(path.join(parent, child), { recursive: true, force: true });
    } else {
      fs.rmSync(path.join(parent, base.slice(".wh.".length)), { recursive: true, force: true });
    }
  }
  await run("tar", ["-xf", tarFile, "-C", root, "--numeric-owner", "--same-permissions", "--exclude=.wh.*"], { maxBuffer: 16 << 20 });
}

/** uid and gid for an image's config User ("uid", "uid:gid", "name" or "name:group"), looked up in the root's /etc files. */
export function resolveUser(root: string, user: string | undefined): { uid?: number; gid?: number } {
  if (!user) return {};
  const [u, g] = user.split(":");
  const lookup = (file: string, name: string): string[] | undefined => {
    try {
      return fs
        .readFileSync(path.join(root, "etc", file), "utf8")
        .split("\n")
        .map((l) => l.split(":"))
        .find((f) => f[0] === name);
    } catch {
      return undefined;
    }
  };
  let uid: number | undefined;
  let gid: number | undefined;
  if (/^\d+$/.test(u)) uid = Number(u);
  else {
    const entry = lookup("passwd", u);
    if (!entry) throw new Error(`the image's user ${u} is not in its /etc/passwd`);
    uid = Number(entry[2]);
    gid = Number(entry[3]);
  }
  if (g !== undefined) {
    if (/^\d+$/.test(g)) gid = Number(g);
    else {
      const entry = lookup("group", g);
      if (!entry) throw new Error(`the image's group ${g} is not in its /etc/group`);
      gid = Number(entry[2]);
    }
  }
  return { uid, gid };
}
