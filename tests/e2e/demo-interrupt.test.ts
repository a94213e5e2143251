import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { repoRoot } from "../../devenv/paths";
import { processesUsing, runInPty, stillRunning } from "./pty";

const READY = "Ctrl-C destroys the stack and stops everything.";

/**
 * `npm start` on a terminal, as a user has it: the demo on a real
 * pseudo-terminal (util-linux `script`), Ctrl-C typed into it. (The test runs
 * dist/devenv/demo.js, what `npm start` runs after its build: the build would
 * replace the dist/ this test runs from.)
 */
describe("npm start on a terminal: Ctrl-C", function () {
  this.timeout(600_000);

  function startDemo() {
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: "dumb" };
    delete env.CI; // the demo waits for Ctrl-C only on a terminal outside CI
    delete env.PULUMI_KPACK_KEEP_ENV;
    return runInPty(`exec ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(repoRoot, "dist", "devenv", "demo.js"))}`, { cwd: repoRoot, env });
  }

  async function ready(demo: ReturnType<typeof startDemo>): Promise<string> {
    await demo.waitFor(READY, 420_000);
    const workDir = /logs: (\S+)/.exec(demo.output())?.[1];
    assert.ok(workDir, `the demo names its scratch directory:\n${demo.output()}`);
    return workDir;
  }

  it("destroys the stack while the environment runs, then stops every process and exits 0", async () => {
    const demo = startDemo();
    let workDir: string | undefined;
    try {
      workDir = await ready(demo);
      const before = demo.processes();
      for (const name of ["etcd", "kube-apiserver", "kube-controller-manager", "registry", "kpack"]) {
        assert.ok(before.some((p) => p.cmd.includes(name)), `${name} runs under the demo: ${before.map((p) => p.cmd).join("\n")}`);
      }
      const mark = demo.output().length;
      demo.type("\x03");
      const code = await demo.exit(300_000);
      const after = demo.output().slice(mark);
      assert.notEqual(code, "hung", `the demo did not exit after Ctrl-C:\n${after}`);
      assert.equal(code, 0, `exit status:\n${after}`);
      assert.match(after, /destroying the stack, then stopping everything/);
      assert.match(after, /Resources:\s*\n\s*- \d+ deleted/, `a clean destroy:\n${after}`);
      assert.match(after, /Stack destroyed; local Kubernetes, kpack and the registries stopped\./);
      assert.doesNotMatch(after, /error|fetch failed|ECONNREFUSED|Stopped everything at once/i, "no error wall");
      assert.deepEqual(stillRunning(before), [], "no process of the demo is left");
      assert.deepEqual(processesUsing(workDir), [], "nothing uses its scratch directory");
      assert.ok(!fs.existsSync(workDir), "its scratch directory is removed");
    } finally {
      demo.kill();
      if (workDir) for (const p of processesUsing(workDir)) process.kill(p.pid, "SIGKILL");
    }
  });

  it("a second Ctrl-C while it destroys stops everything at once and says what is left", async () => {
    const demo = startDemo();
    let workDir: string | undefined;
    try {
      workDir = await ready(demo);
      const mark = demo.output().length;
      demo.type("\x03");
      await demo.waitFor(/Destroying \(local\)/, 120_000, mark);
      const before = demo.processes(); // the environment's, and pulumi destroy's with its plugins
      assert.ok(before.some((p) => /\bpulumi\b/.test(p.cmd) && p.cmd.includes("destroy")), `pulumi destroy runs: ${before.map((p) => p.cmd).join("\n")}`);
      demo.type("\x03");
      const code = await demo.exit(60_000);
      const after = demo.output().slice(mark);
      assert.notEqual(code, "hung", `the demo did not exit after the second Ctrl-C:\n${after}`);
      assert.equal(code, 130, `exit status:\n${after}`);
      assert.match(after, /Stopped everything at once \(SIGINT\): killed \d+ processes\./);
      assert.match(after, /The stack was not destroyed, but everything it made was in the local cluster, which is gone now\./);
      assert.match(after, new RegExp(`Removed ${workDir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
      assert.doesNotMatch(after, /Still running/);
      assert.deepEqual(stillRunning(before), [], "no process of the demo is left");
      assert.deepEqual(processesUsing(workDir), [], "nothing uses its scratch directory");
      assert.ok(!fs.existsSync(workDir), "its scratch directory is removed");
    } finally {
      demo.kill();
      if (workDir) for (const p of processesUsing(workDir)) process.kill(p.pid, "SIGKILL");
    }
  });
});
