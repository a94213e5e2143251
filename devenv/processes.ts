import * as fs from "node:fs";
import * as net from "node:net";
import { spawn, ChildProcess } from "node:child_process";

/**
 * Child processes of the test environment. Each one is started under
 * `setpriv --pdeathsig SIGKILL`, so the kernel kills it if the test process dies
 * without running its cleanup (SIGKILL, crash); orderly exits and Ctrl-C stop
 * them through stopAll().
 */
export interface Managed {
  name: string;
  child: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
}

const running = new Set<Managed>();

export function start(name: string, bin: string, args: string[], opts: { logFile: string; env?: NodeJS.ProcessEnv; cwd?: string }): Managed {
  const out = fs.openSync(opts.logFile, "a");
  const child = spawn("setpriv", ["--pdeathsig", "SIGKILL", "--", bin, ...args], {
    stdio: ["ignore", out, out],
    env: opts.env ?? process.env,
    cwd: opts.cwd,
  });
  fs.closeSync(out);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const m: Managed = { name, child, logFile: opts.logFile, exited };
  running.add(m);
  void exited.then(() => running.delete(m));
  return m;
}

/** Last lines of a process log, for error messages. */
export function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

export async function stop(m: Managed, graceMs = 5000): Promise<void> {
  if (m.child.exitCode !== null || m.child.signalCode !== null) return;
  m.child.kill("SIGTERM");
  const timer = setTimeout(() => m.child.kill("SIGKILL"), graceMs);
  await m.exited;
  clearTimeout(timer);
}

/** Stops every process this module started, newest first. */
export async function stopAll(): Promise<void> {
  for (const m of [...running].reverse()) await stop(m);
}

let hooked = false;
let onInterrupt: (() => void) | undefined;

/** Lets a long-running caller (the demo) handle Ctrl-C itself, cleaning up in its own order. */
export function handleInterrupt(f: () => void): void {
  onInterrupt = f;
}

/** Ctrl-C and termination stop the children before the test process goes. */
export function installSignalHandlers(): void {
  if (hooked) return;
  hooked = true;
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(sig, () => {
      if (sig === "SIGINT" && onInterrupt) {
        const f = onInterrupt;
        onInterrupt = undefined; // a second Ctrl-C stops at once
        return f();
      }
      void stopAll().finally(() => process.exit(130));
    });
  }
  process.once("exit", () => {
    for (const m of running) m.child.kill("SIGKILL");
  });
}

/** A free TCP port on 127.0.0.1 (bound and released; the OS will not hand it out again at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

/** Polls check() until it resolves true, or fails with the process log when it exits or time runs out. */
export async function waitFor(what: string, m: Managed | undefined, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (m && (m.child.exitCode !== null || m.child.signalCode !== null)) {
      throw new Error(`${m.name} exited (${m.child.exitCode ?? m.child.signalCode}) before ${what}. Its log (${m.logFile}):\n${tail(m.logFile)}`);
    }
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs / 1000}s waiting for ${what}.${m ? ` ${m.name} log (${m.logFile}):\n${tail(m.logFile)}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
