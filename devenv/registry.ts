import * as fs from "node:fs";
import * as path from "node:path";
import * as crypto from "node:crypto";
import * as bcrypt from "bcryptjs";
import { binaries, ensureBinary } from "./binaries";
import { freePort, Managed, start, stop, waitFor } from "./processes";

/**
 * A local OCI registry (CNCF Distribution, built from the Go module proxy) on
 * 127.0.0.1 with filesystem storage in the environment's scratch directory,
 * optionally behind htpasswd basic auth so credential handling can be tested.
 */
export interface Credentials {
  username: string;
  password: string;
}

export interface Registry {
  /** host:port, as it appears in image references, e.g. "127.0.0.1:40123". */
  host: string;
  /** Base URL of the registry API, e.g. "http://127.0.0.1:40123". */
  url: string;
  /** Set when the registry requires basic auth. */
  auth?: Credentials;
  /** Milliseconds from spawn to the registry answering /v2/. */
  startMs: number;
  logFile: string;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  /** Scratch directory; the registry's storage, config and log go in a subdirectory. */
  workDir: string;
  /** Name of that subdirectory and of the process in messages. */
  name: string;
  /** Require these credentials (htpasswd, bcrypt). */
  auth?: Credentials;
}

/**
 * An htpasswd line with a bcrypt hash, the only scheme Distribution accepts.
 * Cost 5 (bcrypt allows 4–31): the registry checks the hash on every request,
 * and a push makes dozens of requests; strength is irrelevant for a throwaway.
 */
export function htpasswdLine(creds: Credentials): string {
  if (creds.username.includes(":")) throw new Error(`An htpasswd user name cannot contain ':' (got "${creds.username}").`);
  return `${creds.username}:${bcrypt.hashSync(creds.password, 5)}\n`;
}

/** A random password for a throwaway registry user. */
export function randomCredentials(username: string): Credentials {
  return { username, password: crypto.randomBytes(12).toString("base64url") };
}

export async function startRegistry(opts: RegistryOptions): Promise<Registry> {
  const bin = ensureBinary(binaries.registry);
  const dir = path.join(opts.workDir, opts.name);
  fs.mkdirSync(path.join(dir, "storage"), { recursive: true });
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const config: Record<string, unknown> = {
    version: "0.1",
    log: { level: "info", formatter: "text", accesslog: { disabled: true } },
    storage: {
      filesystem: { rootdirectory: path.join(dir, "storage") },
      delete: { enabled: true },
      // The registry would otherwise start a background purge of uploads.
      maintenance: { uploadpurging: { enabled: false } },
    },
    // A fixed secret avoids the registry's warning about generating one.
    http: { addr: host, secret: crypto.randomBytes(16).toString("hex") },
  };
  if (opts.auth) {
    const htpasswd = path.join(dir, "htpasswd");
    fs.writeFileSync(htpasswd, htpasswdLine(opts.auth), { mode: 0o600 });
    config.auth = { htpasswd: { realm: `pulumi-kpack-${opts.name}`, path: htpasswd } };
  }
  // JSON is YAML; the registry reads either.
  const configFile = path.join(dir, "config.yml");
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2));

  // REGISTRY_* variables override the config file; none may leak in from the
  // caller. Tracing is off: its default exporter would dial a collector.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("REGISTRY_") && !k.startsWith("OTEL_")) env[k] = v;
  env.OTEL_TRACES_EXPORTER = "none";
  env.OTEL_METRICS_EXPORTER = "none";
  env.OTEL_SDK_DISABLED = "true";

  const logFile = path.join(dir, "registry.log");
  const t0 = Date.now();
  const proc: Managed = start(`registry (${opts.name})`, bin, ["serve", configFile], { logFile, env });
  const expected = opts.auth ? 401 : 200;
  try {
    await waitFor(
      `registry ${opts.name} on ${host}`,
      proc,
      async () => {
        const r = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(2000) });
        await r.body?.cancel();
        return r.status === expected;
      },
      30_000,
    );
  } catch (e) {
    await stop(proc);
    throw e;
  }
  return {
    host,
    url: `http://${host}`,
    auth: opts.auth,
    startMs: Date.now() - t0,
    logFile,
    stop: () => stop(proc),
  };
}

/** The Authorization header value for basic auth. */
export function basicAuth(creds: Credentials): string {
  return "Basic " + Buffer.from(`${creds.username}:${creds.password}`).toString("base64");
}

const MANIFEST_TYPES = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
].join(", ");

/**
 * GETs a manifest from a loopback registry by tag or digest reference
 * ("127.0.0.1:P/repo:tag", "127.0.0.1:P/repo@sha256:…" or both). Returns the HTTP
 * status and, when found, the digest the registry reports.
 */
export async function getManifest(ref: string, creds?: Credentials): Promise<{ status: number; digest?: string; body?: string }> {
  // repo[:tag][@digest]; with both, the digest is what is fetched (as docker does).
  const m = /^((?:127\.0\.0\.1|localhost):\d+)\/([^@:]+)(?::([\w][\w.-]*))?(?:@(sha256:[0-9a-f]{64}))?$/.exec(ref);
  if (!m) throw new Error(`getManifest only reads loopback references, got "${ref}".`);
  const [, host, repo, tag, digest] = m;
  const headers: Record<string, string> = { Accept: MANIFEST_TYPES };
  if (creds) headers.Authorization = basicAuth(creds);
  const r = await fetch(`http://${host}/v2/${repo}/manifests/${digest ?? tag ?? "latest"}`, { headers, signal: AbortSignal.timeout(10_000) });
  const body = await r.text();
  return { status: r.status, digest: r.headers.get("docker-content-digest") ?? undefined, body: r.ok ? body : undefined };
}
