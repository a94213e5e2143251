/**
 * Runs inside a fresh network namespace (see sandbox.ts), as
 *   node nsrelay.js <ip binary> <socket dir> <port,port,...> <exposed,...|-> -- <command> [args...]
 * It brings up the namespace's loopback, listens on 127.0.0.1:<port> for each
 * port and relays each connection to the Unix socket <socket dir>/<port>.sock,
 * which the test process relays on to 127.0.0.1:<port> in the host namespace.
 * The other way, for each exposed port it relays the Unix socket
 * <socket dir>/exposed-<port>.sock to 127.0.0.1:<port> inside the namespace,
 * taking that name once the command accepts there: the host side offers it on
 * a host loopback port (a webhook the apiserver calls).
 * Then it runs the command and exits with it. The command thus reaches the
 * host's loopback services on their usual addresses and nothing else, and
 * whatever it listens on is visible only inside the namespace.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { execFileSync, spawn } from "node:child_process";

function relay(a: net.Socket, b: net.Socket): void {
  a.pipe(b);
  b.pipe(a);
  const close = () => {
    a.destroy();
    b.destroy();
  };
  a.on("error", close);
  b.on("error", close);
  a.on("close", close);
  b.on("close", close);
}

async function main(): Promise<void> {
  const sep = process.argv.indexOf("--");
  const [ipBin, sockDir, portList, exposedList] = process.argv.slice(2, sep);
  const [cmd, ...args] = process.argv.slice(sep + 1);
  if (sep < 0 || !ipBin || !sockDir || !exposedList || !cmd)
    throw new Error("usage: nsrelay <ip binary> <socket dir> <ports> <exposed ports|-> -- <command> [args...]");
  // A new network namespace starts with its loopback down.
  execFileSync(ipBin, ["link", "set", "lo", "up"], { stdio: "inherit" });
  const ports = (portList ?? "").split(",").filter(Boolean).map(Number);
  await Promise.all(
    ports.map(
      (port) =>
        new Promise<void>((resolve, reject) => {
          const srv = net.createServer((c) => relay(c, net.connect(path.join(sockDir, `${port}.sock`))));
          srv.once("error", reject);
          srv.listen(port, "127.0.0.1", () => resolve());
        }),
    ),
  );
  const exposed = exposedList === "-" ? [] : exposedList.split(",").filter(Boolean).map(Number);
  // Each exposed port listens first on a socket of this process's own, and takes the shared name only
  // once the command serves it: as a Service sends traffic only to ready pods, a newer process of the
  // same Deployment takes over from the one it replaces without a moment where nothing answers.
  const pending = await Promise.all(
    exposed.map(
      (port) =>
        new Promise<{ port: number; own: string; shared: string }>((resolve, reject) => {
          const srv = net.createServer((c) => relay(c, net.connect(port, "127.0.0.1")));
          srv.once("error", reject);
          const own = path.join(sockDir, `exposed-${port}.${process.pid}.sock`);
          fs.rmSync(own, { force: true });
          srv.listen(own, () => resolve({ port, own, shared: path.join(sockDir, `exposed-${port}.sock`) }));
        }),
    ),
  );
  // pdeathsig: if this relay dies, the command dies with it.
  const child = spawn("setpriv", ["--pdeathsig", "SIGKILL", "--", cmd, ...args], { stdio: "inherit" });
  for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(sig, () => child.kill(sig));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
  for (const p of pending) void publishWhenServing(p);
}

/** Renames the process's own socket to the shared name once something accepts on 127.0.0.1:port inside. */
async function publishWhenServing(p: { port: number; own: string; shared: string }): Promise<void> {
  const accepts = () =>
    new Promise<boolean>((resolve) => {
      const s = net.connect(p.port, "127.0.0.1", () => (s.destroy(), resolve(true)));
      s.on("error", () => resolve(false));
    });
  while (!(await accepts())) await new Promise((r) => setTimeout(r, 100));
  fs.renameSync(p.own, p.shared);
  process.stderr.write(`nsrelay: 127.0.0.1:${p.port} serves; exposed as ${p.shared}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`nsrelay: ${(e as Error).message ?? String(e)}\n`);
  process.exit(1);
});
