import * as assert from "node:assert/strict";
import * as path from "node:path";
import { repoRoot } from "../../devenv/paths";
import { assertEndsCleanly, runInPty, PtyRun } from "./pty";

const READY = "Ctrl-C destroys the stack and stops everything.";

/**
 * `npm start` on a terminal, as a user has it: the demo on a real
 * pseudo-terminal (util-linux `script`), Ctrl-C typed into it. (The test runs
 * dist/devenv/demo.js, what `npm start` runs after its build: the build would
 * replace the dist/ this test runs from.)
 */
describe("npm start on a terminal: Ctrl-C", function () {
  this.timeout(600_000);

  /** The demo, up and waiting for Ctrl-C; its scratch directory is known. */
  async function readyDemo(): Promise<PtyRun> {
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: "dumb" };
    delete env.CI; // the demo waits for Ctrl-C only on a terminal outside CI
    delete env.PULUMI_KPACK_KEEP_ENV;
    delete env.PULUMI_KPACK_TEST_KUBECONFIG; // `npm start` runs its own environment
    const demo = runInPty(`exec ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(repoRoot, "dist", "devenv", "demo.js"))}`, {
      cwd: repoRoot,
      env,
    });
    try {
      await demo.waitFor(READY, 420_000);
      demo.scratch = /logs: (\S+)/.exec(demo.output())?.[1];
      assert.ok(demo.scratch, `the demo names its scratch directory:\n${demo.output()}`);
      return demo;
    } catch (e) {
      demo.kill();
      throw e;
    }
  }

  it("destroys the stack while the environment runs, then stops every process and exits 0", async () => {
    const demo = await readyDemo();
    try {
      const before = demo.processes();
      for (const name of ["etcd", "kube-apiserver", "kube-controller-manager", "registry", "kpack"]) {
        assert.ok(
          before.some((p) => p.cmd.includes(name)),
          `${name} runs under the demo: ${before.map((p) => p.cmd).join("\n")}`,
        );
      }
      const from = demo.output().length;
      demo.type("\x03");
      const after = await assertEndsCleanly(demo, { from, code: 0, withinMs: 300_000, before });
      assert.match(after, /destroying the stack, then stopping everything/);
      assert.match(after, /Resources:\s*\n\s*- \d+ deleted/, `a clean destroy:\n${after}`);
      assert.match(after, /Stack destroyed; local Kubernetes, kpack and the registries stopped\./);
      assert.doesNotMatch(after, /error|fetch failed|ECONNREFUSED|Stopped everything at once/i, `no error wall:\n${after}`);
    } finally {
      demo.kill();
    }
  });

  it("a second Ctrl-C while it destroys stops everything at once and says what is left", async () => {
    const demo = await readyDemo();
    try {
      const from = demo.output().length;
      demo.type("\x03");
      await demo.waitFor(/Destroying \(local\)/, 120_000, from);
      const before = demo.processes(); // the environment's, and pulumi destroy's with its plugins
      assert.ok(
        before.some((p) => /\bpulumi\b/.test(p.cmd) && p.cmd.includes("destroy")),
        `pulumi destroy runs: ${before.map((p) => p.cmd).join("\n")}`,
      );
      demo.type("\x03");
      const after = await assertEndsCleanly(demo, { from, code: 130, withinMs: 60_000, before });
      assert.match(after, /Stopped everything at once \(SIGINT\): killed \d+ processes\./);
      assert.match(after, /The stack was not destroyed, but everything it made was in the local cluster, which is gone now\./);
      assert.ok(after.includes(`Removed ${demo.scratch}`), `says it removed the scratch directory:\n${after}`);
      assert.doesNotMatch(after, /Still running/);
    } finally {
      demo.kill();
    }
  });
});
