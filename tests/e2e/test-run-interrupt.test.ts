import * as assert from "node:assert/strict";
import * as path from "node:path";
import { repoRoot } from "../../devenv/paths";
import { assertEndsCleanly, runInPty } from "./pty";

/**
 * `npm test` on a terminal, interrupted by Ctrl-C in the middle of a
 * `pulumi up`: every process of the run stops (the environment's, pulumi's
 * and its plugins'), its scratch directory goes, and it says so in one
 * paragraph instead of a wall of failing tests. The interrupted run is
 * fixtures/interrupted-run.ts under mocha, on a real pseudo-terminal.
 */
describe("npm test on a terminal: Ctrl-C", function () {
  this.timeout(600_000);

  it("stops every process of the run at once, removes its scratch directory and prints no error wall", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: "dumb" };
    delete env.PULUMI_KPACK_KEEP_ENV;
    delete env.PULUMI_KPACK_TEST_KUBECONFIG; // kpack needs the local environment
    const mocha = path.join(repoRoot, "node_modules", "mocha", "bin", "mocha.js");
    const args = [
      "--no-config",
      "--require",
      "dist/devenv/test-env.js",
      "--reporter",
      "dist/tests/reporter.js",
      "dist/tests/e2e/fixtures/interrupted-run.js",
    ];
    const run = runInPty(`exec ${JSON.stringify(process.execPath)} ${JSON.stringify(mocha)} ${args.join(" ")}`, { cwd: repoRoot, env });
    try {
      await run.waitFor(/interrupt me: pulumi up is creating; scratch directory \S+/, 420_000);
      // The environment's directory lies in the run's own scratch directory.
      run.scratch = path.dirname(/scratch directory (\S+)/.exec(run.output())![1]);
      assert.match(path.basename(run.scratch), /^pulumi-kpack-test-/);
      const before = run.processes();
      for (const name of ["etcd", "kube-apiserver", "registry", "kpack", "pulumi up", "pulumi-resource-pulumi-nodejs"]) {
        assert.ok(
          before.some((p) => p.cmd.includes(name)),
          `${name} runs under the test run: ${before.map((p) => p.cmd).join("\n")}`,
        );
      }
      const from = run.output().length;
      run.type("\x03");
      const after = await assertEndsCleanly(run, { from, code: 130, withinMs: 60_000, before });
      assert.match(after, /Stopped everything at once \(SIGINT\): killed \d+ processes\.\r?\nThe test run was interrupted\./);
      assert.ok(after.includes(`Removed ${run.scratch}`), `says it removed the scratch directory:\n${after}`);
      assert.doesNotMatch(after, /failing|passing|Error|Still running|\d\) /, `no error wall:\n${after}`);
    } finally {
      run.kill();
    }
  });
});
