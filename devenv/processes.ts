import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import { spawn, ChildProcess } from "node:child_process";

/**
 * Child processes of the test environment. Each one is started under
 * `setpriv --pdeathsig SIGKILL`, so the kernel kills it if the test process dies
 * without running its cleanup (SIGKILL, crash); orderly exits stop them through
 * stopAll(). Each runs in a session of its own (no controlling terminal), so
 * the terminal's Ctrl-C, which is SIGINT to its whole foreground process group,
 * reaches only the demo or test process. That process then decides: the demo
 * destroys its stack while the cluster is still up and stops everything in
 * order; a test run stops everything at once (stopAtOnce).
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
    // setsid: out of reach of the terminal's Ctrl-C (pdeathsig still ends it with us).
    detached: true,
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

/** Live (not zombie) processes: pid → parent pid, from /proc. */
function processTable(): Map<number, number> {
  const table = new Map<number, number>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      // "pid (comm) state ppid …"; comm may hold spaces and parentheses.
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (state !== "Z" && state !== "X") table.set(Number(entry), Number(ppid));
    } catch {
      // gone meanwhile
    }
  }
  return table;
}

/** Every live descendant of `pid`, parents before their children. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const [child, parent] of processTable()) {
    const list = children.get(parent);
    if (list) list.push(child);
    else children.set(parent, [child]);
  }
  const found: number[] = [];
  for (let i = 0, queue = [pid]; i < queue.length; i++) {
    for (const c of children.get(queue[i]) ?? []) {
      found.push(c);
      queue.push(c);
    }
  }
  return found;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * SIGKILL to `pids` at once, then waits (synchronously, up to `waitMs`) until
 * each is dead. Returns those still alive.
 */
export function killNow(pids: number[], waitMs = 3000): number[] {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + waitMs;
  let alive = pids;
  for (;;) {
    const table = processTable();
    alive = alive.filter((pid) => table.has(pid));
    if (alive.length === 0 || Date.now() > deadline) return alive;
    sleepSync(20);
  }
}

/** Scratch directories: removed by stopAtOnce, unless PULUMI_KPACK_KEEP_ENV keeps them (`always`: removed even then). */
const scratchDirs = new Map<string, { always: boolean }>();

/**
 * Registers a scratch directory that stopAtOnce removes (its owner removes it
 * on an orderly stop). Returns a function that forgets it again.
 */
export function scratchDir(dir: string, opts: { always?: boolean } = {}): () => void {
  scratchDirs.set(dir, { always: opts.always ?? false });
  return () => scratchDirs.delete(dir);
}

let hooked = false;
let owner: InterruptOwner | undefined;
let interrupts = 0;
let stoppingAtOnce = false;

/** A long-running caller (the demo) that handles the first Ctrl-C or SIGTERM itself. */
export interface InterruptOwner {
  /** The first interrupt: the owner stops in its own order (e.g. destroys its stack while the cluster is up). */
  first(signal: "SIGINT" | "SIGTERM"): void;
  /** Said when a second interrupt stops everything at once instead: what that leaves undone. */
  whatIsLeft(): string;
}

/** Lets a long-running caller (the demo) handle the first Ctrl-C and SIGTERM; a second one stops everything at once. */
export function handleInterrupt(o: InterruptOwner): void {
  owner = o;
}

/**
 * An interrupt, from a signal or from Ctrl-C read off a terminal in raw mode
 * (the demo). Without an owner (a test run), and for the second one or a
 * SIGHUP, everything stops at once.
 */
export function interrupt(signal: NodeJS.Signals): void {
  interrupts++;
  if (owner && interrupts === 1 && (signal === "SIGINT" || signal === "SIGTERM")) return owner.first(signal);
  stopAtOnce(signal, owner?.whatIsLeft() ?? "The test run was interrupted.");
}

/**
 * Stops everything at once: SIGKILL to every process this one started and
 * theirs (the environment's, and pulumi's with its plugins), its scratch
 * directories removed, one paragraph saying so, then exit with 128 + the
 * signal's number. Synchronous, so nothing else (a failing test, a watch
 * error) prints in between.
 */
export function stopAtOnce(signal: NodeJS.Signals, whatIsLeft: string): void {
  if (stoppingAtOnce) return;
  stoppingAtOnce = true;
  const pids = descendants(process.pid);
  const alive = killNow(pids);
  const removed: string[] = [];
  const kept: string[] = [];
  for (const [dir, { always }] of scratchDirs) {
    if (!fs.existsSync(dir)) continue;
    if (process.env.PULUMI_KPACK_KEEP_ENV && !always) {
      kept.push(dir);
      continue;
    }
    try {
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      removed.push(dir);
    } catch (e) {
      kept.push(`${dir} (could not remove it: ${(e as Error).message})`);
    }
  }
  if (process.stdin.isTTY && process.stdin.isRaw) process.stdin.setRawMode(false);
  const lines = [
    `\nStopped everything at once (${signal}): killed ${pids.length} process${pids.length === 1 ? "" : "es"}.`,
    alive.length ? `Still running, kill them yourself: ${alive.map((pid) => `${pid} (${commandLine(pid)})`).join(", ")}.` : "",
    whatIsLeft,
    removed.length ? `Removed ${removed.join(", ")}.` : "",
    kept.length ? `Left on disk: ${kept.join(", ")}.` : "",
  ];
  fs.writeSync(process.stderr.fd, `${lines.filter(Boolean).join("\n")}\n`);
  process.exit(128 + (os.constants.signals[signal] ?? 2));
}

function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim().slice(0, 200);
  } catch {
    return "?";
  }
}

/**
 * Ctrl-C, SIGTERM and SIGHUP go through interrupt(); whatever ends this
 * process, its descendants are killed with it.
 */
export function installSignalHandlers(): void {
  if (hooked) return;
  hooked = true;
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, () => interrupt(sig));
  process.once("exit", () => {
    killNow(descendants(process.pid), 0);
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
