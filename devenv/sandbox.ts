import * as fs from "node:fs";
import * as os from "node:os";
import * as net from "node:net";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { scratchDir } from "./processes";

/**
 * A loopback-only network sandbox for a process we do not control, such as
 * the kpack controller: it always serves its profiling endpoint on ":8008"
 * (profiling.NewServer of knative's pkg), i.e. on every interface, and dials
 * whatever registry an object names. Run in its own network namespace (an
 * unprivileged user namespace maps us to root there), it listens only inside
 * that namespace and can reach exactly the host loopback ports we relay to it.
 *
 * Needs `unshare` (util-linux), `ip` (iproute2) and user namespaces; where any
 * is missing, sandboxSupport() says why and callers run the process directly.
 */
export interface SandboxSupport {
  ok: boolean;
  reason?: string;
}

let support: SandboxSupport | undefined;
let ipBin = "ip";

/** `ip` lives in sbin, which a non-root user's PATH often lacks. */
function findIp(): string {
  for (const dir of [...(process.env.PATH ?? "").split(path.delimiter), "/usr/sbin", "/sbin"]) {
    const p = path.join(dir || ".", "ip");
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return "ip";
}

export function sandboxSupport(): SandboxSupport {
  if (support) return support;
  if (process.env.PULUMI_KPACK_NO_SANDBOX) return (support = { ok: false, reason: "PULUMI_KPACK_NO_SANDBOX is set" });
  ipBin = findIp();
  const r = spawnSync("unshare", ["--user", "--map-root-user", "--net", "--", ipBin, "link", "set", "lo", "up"], {
    encoding: "utf8",
    timeout: 10_000,
  });
  support =
    r.status === 0
      ? { ok: true }
      : { ok: false, reason: `unshare --user --net with ip failed (${r.error?.message ?? (r.stderr.trim() || `exit ${r.status}`)})` };
  return support;
}

export interface Sandbox {
  /** The command line to start (with processes.start) in place of bin + args; any binary (a newer release of the same process) goes behind the same relays. */
  command(bin: string, args: string[]): { bin: string; args: string[] };
  /** The Unix socket through which an exposed port reaches the process inside (each new process makes it anew). */
  exposedSocket(innerPort: number): string;
  /** Stops the host-side relays and removes their sockets. */
  close(): Promise<void>;
}

/** A port the sandboxed process listens on inside, offered on the host's 127.0.0.1:hostPort. */
export interface ExposedPort {
  hostPort: number;
  innerPort: number;
}

function pipeBoth(a: net.Socket, b: net.Socket, sockets: Set<net.Socket>): void {
  for (const s of [a, b]) {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {
      a.destroy();
      b.destroy();
    });
  }
  a.pipe(b);
  b.pipe(a);
}

function listen(srv: net.Server, where: string | { port: number; host: string }): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    srv.once("error", reject);
    if (typeof where === "string") srv.listen(where, () => resolve());
    else srv.listen(where.port, where.host, () => resolve());
  });
}

/**
 * Prepares a sandboxed command: host-side relays from Unix sockets to
 * 127.0.0.1:<port> for each port, host listeners on 127.0.0.1:<hostPort> for
 * each exposed port (relayed to the process's own port inside), and the
 * command lines that start a binary inside a new network namespace behind
 * devenv/nsrelay.
 */
export async function loopbackSandbox(ports: number[], exposed: ExposedPort[] = []): Promise<Sandbox> {
  // Short path: Unix socket paths are limited to 107 bytes.
  const sockDir = fs.mkdtempSync(path.join(os.tmpdir(), "pk-ns-"));
  const forgetSockDir = scratchDir(sockDir, { always: true });
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  try {
    for (const port of ports) {
      const srv = net.createServer((inner) => pipeBoth(inner, net.connect(port, "127.0.0.1"), sockets));
      await listen(srv, path.join(sockDir, `${port}.sock`));
      servers.push(srv);
    }
    for (const e of exposed) {
      // Until the process listens inside, the socket is missing and the connection is refused, as a closed port would be.
      const srv = net.createServer((outer) => pipeBoth(outer, net.connect(path.join(sockDir, `exposed-${e.innerPort}.sock`)), sockets));
      await listen(srv, { port: e.hostPort, host: "127.0.0.1" });
      servers.push(srv);
    }
  } catch (e) {
    for (const s of servers) s.close();
    fs.rmSync(sockDir, { recursive: true, force: true });
    forgetSockDir();
    throw e;
  }
  return {
    command: (bin, args) => ({
      bin: "unshare",
      args: [
        "--user",
        "--map-root-user",
        "--net",
        "--",
        process.execPath,
        path.join(__dirname, "ns-relay.js"),
        ipBin,
        sockDir,
        ports.join(","),
        exposed.length ? exposed.map((e) => e.innerPort).join(",") : "-",
        "--",
        bin,
        ...args,
      ],
    }),
    exposedSocket: (innerPort) => path.join(sockDir, `exposed-${innerPort}.sock`),
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
      fs.rmSync(sockDir, { recursive: true, force: true });
      forgetSockDir();
    },
  };
}
