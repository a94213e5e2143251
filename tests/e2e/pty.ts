import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { spawn } from "node:child_process";
import { descendants, killNow } from "../../devenv/processes";

/**
 * A command on a real pseudo-terminal, as a user runs it in a terminal:
 * util-linux `script` makes the pty, and bytes written to its stdin are typed
 * into it ("\x03" is Ctrl-C, which the pty's line discipline turns into SIGINT
 * for its foreground process group, or hands over as a key in raw mode).
 */
export interface PtyRun {
  /** Everything the terminal showed so far. */
  output(): string;
  /** Waits until the output matches; fails with the output when the command ends first or time runs out. */
  waitFor(pattern: RegExp | string, timeoutMs: number, from?: number): Promise<void>;
  type(keys: string): void;
  /** Exit status of the command (script -e passes it on); null for a signal. */
  exited: Promise<number | null>;
  /** Resolves to "hung" when the command has not ended within `ms`. */
  exit(ms: number): Promise<number | null | "hung">;
  /** The command's processes now, with their start times (pids get reused). */
  processes(): Proc[];
  /** Its scratch directory, once known: kill() also kills whatever uses it. */
  scratch?: string;
  /** SIGKILL to the command, every process under it and every process using its scratch directory (for `finally`). */
  kill(): void;
}

export interface Proc {
  pid: number;
  start: string;
  cmd: string;
}

function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[0] === "Z" ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
  } catch {
    return "";
  }
}

export function proc(pid: number): Proc | undefined {
  const start = startTime(pid);
  return start === undefined ? undefined : { pid, start, cmd: cmdline(pid) };
}

/** Those of `procs` still running (same pid and start time). */
export function stillRunning(procs: Proc[]): Proc[] {
  return procs.filter((p) => startTime(p.pid) === p.start);
}

/** Processes whose command line, environment or working directory names `dir`. */
export function processesUsing(dir: string): Proc[] {
  const found: Proc[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const uses =
        cmdline(Number(entry)).includes(dir) ||
        fs.readlinkSync(`/proc/${entry}/cwd`).startsWith(dir) ||
        fs.readFileSync(`/proc/${entry}/environ`, "utf8").includes(dir);
      const p = uses ? proc(Number(entry)) : undefined;
      if (p) found.push(p);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

export function runInPty(command: string, opts: { cwd: string; env: NodeJS.ProcessEnv }): PtyRun {
  // -q: no banner; -f: flush as it comes; -e: exit with the command's status. A session of its own, for kill().
  const child = spawn("script", ["-q", "-f", "-e", "-c", command, "/dev/null"], {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ["pipe", "pipe", "pipe"],
    detached: true,
  });
  let out = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString("utf8")));
  child.stderr.on("data", (b: Buffer) => (out += b.toString("utf8")));
  child.stdin.on("error", () => undefined);
  let code: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (c) => resolve((code = c))));
  const run: PtyRun = {
    output: () => out,
    async waitFor(pattern, timeoutMs, from = 0) {
      const deadline = Date.now() + timeoutMs;
      const matches = () => (typeof pattern === "string" ? out.indexOf(pattern, from) >= 0 : pattern.test(out.slice(from)));
      while (!matches()) {
        if (code !== undefined) throw new Error(`\`${command}\` ended (${code}) before printing ${String(pattern)}. It printed:\n${out}`);
        if (Date.now() > deadline)
          throw new Error(`\`${command}\` did not print ${String(pattern)} within ${timeoutMs / 1000}s. It printed:\n${out}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    type(keys) {
      child.stdin.write(keys);
    },
    exited,
    exit(ms) {
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<"hung">((r) => (timer = setTimeout(() => r("hung"), ms)));
      return Promise.race([exited, hung]).finally(() => clearTimeout(timer));
    },
    processes() {
      return [child.pid!, ...(code === undefined ? descendants(child.pid!) : [])].map(proc).filter((p): p is Proc => p !== undefined);
    },
    kill() {
      const pids = code === undefined ? [child.pid!, ...descendants(child.pid!)] : [];
      killNow([...pids, ...(run.scratch ? processesUsing(run.scratch).map((p) => p.pid) : [])]);
    },
  };
  return run;
}

/**
 * Waits for the command to end, and asserts that it ended with `code`, that
 * none of the processes it had (`before`) runs any more, and that nothing
 * uses its scratch directory, which is gone. Returns its output from `from`.
 */
export async function assertEndsCleanly(run: PtyRun, o: { from: number; code: number; withinMs: number; before: Proc[] }): Promise<string> {
  const code = await run.exit(o.withinMs);
  const after = run.output().slice(o.from);
  assert.notEqual(code, "hung", `it did not end within ${o.withinMs / 1000}s:\n${after}`);
  assert.equal(code, o.code, `exit status:\n${after}`);
  assert.deepEqual(stillRunning(o.before), [], `none of its processes is left:\n${after}`);
  assert.ok(run.scratch, "its scratch directory is known");
  assert.deepEqual(processesUsing(run.scratch), [], "nothing uses its scratch directory");
  assert.ok(!fs.existsSync(run.scratch), "its scratch directory is removed");
  return after;
}
