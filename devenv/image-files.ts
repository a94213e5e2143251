import * as crypto from "node:crypto";
import * as zlib from "node:zlib";
import { basicAuth, Credentials, getManifest } from "./registry";

/**
 * Reading what a build put into an image, to check builds by content: a file
 * from an image in a local registry (its layers read top-down, as the
 * container's filesystem would show it), and the source hash the test
 * buildpack (devenv/buildpacks) records, computed here from the files a test
 * wrote.
 */

/** The sha256 the test buildpack's hashTree gives for an app source of these files (each path, NUL, content, NUL, in path order). */
export function sourceTreeHash(files: Record<string, string>): string {
  const h = crypto.createHash("sha256");
  for (const rel of Object.keys(files).sort()) h.update(`${rel}\0`).update(files[rel]).update("\0");
  return h.digest("hex");
}

/** Entries of an uncompressed tar (ustar with PAX `path` records, as Go's archive/tar writes). */
export function tarEntries(tar: Buffer): Array<{ name: string; type: string; data: Buffer }> {
  const out: Array<{ name: string; type: string; data: Buffer }> = [];
  let paxPath: string | undefined;
  for (let off = 0; off + 512 <= tar.length;) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const str = (a: number, n: number) =>
      header
        .subarray(a, a + n)
        .toString("utf8")
        .replace(/\0.*$/s, "");
    const size = parseInt(str(124, 12).trim() || "0", 8);
    const type = str(156, 1) || "0";
    const prefix = str(345, 155);
    const data = tar.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === "x") {
      paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString("utf8"))?.[1];
      continue;
    }
    if (type === "g") continue;
    const name = paxPath ?? (prefix ? `${prefix}/${str(0, 100)}` : str(0, 100));
    paxPath = undefined;
    out.push({ name: name.replace(/^\.?\//, ""), type, data });
  }
  return out;
}

/** The content of `file` (a path inside the image, with or without a leading '/') in image `ref` on a loopback registry, or undefined. */
export async function readImageFile(ref: string, file: string, creds?: Credentials): Promise<string | undefined> {
  const { manifest, blob } = await openImage(ref, creds);
  const want = file.replace(/^\//, "");
  for (const layer of [...(manifest.layers ?? [])].reverse()) {
    const body = await blob(layer.digest);
    const tar = body[0] === 0x1f && body[1] === 0x8b ? zlib.gunzipSync(body) : body;
    const entry = tarEntries(tar).find((e) => e.name === want && (e.type === "0" || e.type === "\0"));
    if (entry) return entry.data.toString("utf8");
  }
  return undefined;
}

/** The config labels of image `ref` on a loopback registry (what the lifecycle's exporter wrote, io.buildpacks.*). */
export async function readImageLabels(ref: string, creds?: Credentials): Promise<Record<string, string>> {
  const { manifest, blob } = await openImage(ref, creds);
  const config = JSON.parse((await blob(manifest.config?.digest ?? "")).toString("utf8")) as { config?: { Labels?: Record<string, string> } };
  return config.config?.Labels ?? {};
}

/** An image's manifest on a loopback registry, and a reader of its blobs. */
async function openImage(ref: string, creds?: Credentials) {
  const m = await getManifest(ref, creds);
  if (m.status !== 200) throw new Error(`${ref}: the registry answered ${m.status} for its manifest.`);
  const manifest = JSON.parse(m.body ?? "{}") as { config?: { digest: string }; layers?: Array<{ digest: string; mediaType?: string }> };
  const [host, ...rest] = ref.split("@")[0].split("/");
  const repo = rest.join("/").replace(/:[^/]*$/, "");
  const blob = async (digest: string): Promise<Buffer> => {
    const res = await fetch(`http://${host}/v2/${repo}/blobs/${digest}`, creds ? { headers: { authorization: basicAuth(creds) } } : {});
    if (!res.ok) throw new Error(`${ref}: blob ${digest} answered ${res.status}.`);
    return Buffer.from(await res.arrayBuffer());
  };
  return { manifest, blob };
}
