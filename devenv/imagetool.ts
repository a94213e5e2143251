import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFile } from "node:child_process";
import { binaries, ensureBinary } from "./binaries";
import { scratchDir } from "./processes";
import { Credentials } from "./registry";

/**
 * TypeScript side of devenv/imagetool (our Go program on
 * go-containerregistry): assemble an image from layers and labels and push it.
 */
export interface LayerSpec {
  /** A tar or tar.gz file used as the layer as is. */
  file?: string;
  /** A directory whose contents become the layer, under `prefix` inside it. */
  dir?: string;
  prefix?: string;
}

export interface BuildSpec {
  /** Base image reference; default: an empty linux/amd64 image. */
  base?: string;
  layers?: LayerSpec[];
  /** Label values may contain {{diffID:N}}: the diffID of the Nth layer in `layers`. */
  labels?: Record<string, string>;
  env?: Record<string, string>;
  user?: string;
  entrypoint?: string[];
  /** Entries of dir layers at or under `path` (inside the layer) get this owner instead of root. */
  owners?: Array<{ path: string; uid: number; gid: number }>;
  /** Directory that keeps dir layers compressed by content, so unchanged files are not compressed again. */
  layerCache?: string;
  /** Tags to push to; the first is the primary one. */
  tags: string[];
  /** Credentials per registry host ("127.0.0.1:P"), as a docker client would have them. */
  credentials?: Record<string, Credentials>;
}

export interface Pushed {
  digest: string;
  /** "<repo of the first tag>@<digest>", the form kpack reports as latestImage. */
  ref: string;
  diffIDs: string[];
  tags: string[];
}

/**
 * A DOCKER_CONFIG directory holding exactly these credentials, so the tool
 * never reads the user's own ~/.docker/config.json. Caller removes it.
 */
export function dockerConfigDir(credentials: Record<string, Credentials> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-kpack-docker-"));
  const auths: Record<string, { auth: string }> = {};
  for (const [host, c] of Object.entries(credentials)) {
    auths[host] = { auth: Buffer.from(`${c.username}:${c.password}`).toString("base64") };
  }
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({ auths }), { mode: 0o600 });
  return dir;
}

function run(args: string[], credentials?: Record<string, Credentials>): Promise<string> {
  const bin = ensureBinary(binaries.imagetool);
  const dockerConfig = dockerConfigDir(credentials);
  const forget = scratchDir(dockerConfig, { always: true });
  return new Promise<string>((resolve, reject) => {
    execFile(
      bin,
      args,
      { env: { PATH: process.env.PATH ?? "", HOME: dockerConfig, DOCKER_CONFIG: dockerConfig }, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        fs.rmSync(dockerConfig, { recursive: true, force: true });
        forget();
        if (err) reject(new Error(stderr.trim() || err.message));
        else resolve(stdout);
      },
    );
  });
}

export async function buildImage(spec: BuildSpec): Promise<Pushed> {
  const args = ["build"];
  if (spec.base) args.push("--base", spec.base);
  for (const l of spec.layers ?? []) {
    if (l.file) args.push("--layer", l.file);
    else if (l.dir) args.push("--layer-dir", l.prefix ? `${l.dir}:${l.prefix}` : l.dir);
    else throw new Error("A layer needs a file or a dir.");
  }
  for (const [k, v] of Object.entries(spec.labels ?? {})) args.push("--label", `${k}=${v}`);
  for (const [k, v] of Object.entries(spec.env ?? {})) args.push("--env", `${k}=${v}`);
  if (spec.user) args.push("--user", spec.user);
  for (const e of spec.entrypoint ?? []) args.push("--entrypoint", e);
  for (const o of spec.owners ?? []) args.push("--owner", `${o.path}=${o.uid}:${o.gid}`);
  if (spec.layerCache) args.push("--layer-cache", spec.layerCache);
  for (const t of spec.tags) args.push("--tag", t);
  return JSON.parse(await run(args, spec.credentials)) as Pushed;
}

/** The digest a registry serves for a reference (HEAD, with credentials when given). */
export async function remoteDigest(ref: string, credentials?: Record<string, Credentials>): Promise<string> {
  return (JSON.parse(await run(["digest", ref], credentials)) as { digest: string }).digest;
}

/** Writes files (relative path → contents) into a fresh directory, for use as a layer. */
export function filesDir(parent: string, name: string, files: Record<string, string | Buffer>, mode = 0o644): string {
  const dir = path.join(parent, name);
  fs.rmSync(dir, { recursive: true, force: true });
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    // Files under a bin/ directory are executables (buildpack detect/build).
    fs.writeFileSync(p, content, { mode: /(^|\/)bin\//.test(rel) ? 0o755 : mode });
  }
  return dir;
}
