import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";

/**
 * What a user's `npm install pulumi-kpack` gets: the built SDK, provider and
 * schemas with their declarations, the README, LICENSE and CHANGELOG, and
 * nothing of the repository's own (sources, tests, the local environment, the
 * bench), read from `npm pack --dry-run --json` as npm would pack it.
 */
const root = path.join(__dirname, "..", "..", "..");
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as {
  version: string;
  dependencies: Record<string, string>;
};

describe("the npm package", function () {
  this.timeout(60_000);

  it("packs only dist/sdk, dist/provider, dist/schema, README.md, LICENSE, CHANGELOG.md and package.json", async () => {
    const { stdout } = await promisify(execFile)("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, maxBuffer: 16 << 20 });
    const [packed] = JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>;
    const files = packed.files.map((f) => f.path);
    const allowed = /^(dist\/(sdk|provider|schema)\/.+\.(js|d\.ts|js\.map)|README\.md|LICENSE|CHANGELOG\.md|package\.json)$/;
    assert.deepEqual(
      files.filter((f) => !allowed.test(f)),
      [],
      "files a user does not need",
    );
    for (const f of [
      "README.md",
      "LICENSE",
      "CHANGELOG.md",
      "package.json",
      "dist/sdk/index.js",
      "dist/sdk/index.d.ts",
      "dist/provider/index.js",
      "dist/sdk/shim.js",
    ]) {
      assert.ok(files.includes(f), `${f} is packed`);
    }
    assert.ok(!files.some((f) => /^dist\/(tests|devenv|bench|examples)\//.test(f)), "no test, environment, bench or example code");
  });

  it("declares its runtime dependencies as caret ranges, so a program's own @pulumi/pulumi is the one copy", () => {
    for (const name of ["@pulumi/pulumi", "@kubernetes/client-node", "zod"]) {
      assert.match(pkg.dependencies[name] ?? "", /^\^\d+\.\d+\.\d+$/, `${name}: ${pkg.dependencies[name]}`);
    }
  });

  it("has a semver version with its section in CHANGELOG.md (Keep a Changelog)", () => {
    assert.match(pkg.version, /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
    const changelog = fs.readFileSync(path.join(root, "CHANGELOG.md"), "utf8");
    assert.match(
      changelog,
      new RegExp(`^## \\[${pkg.version.replace(/\./g, "\\.")}\\] - \\d{4}-\\d{2}-\\d{2}$`, "m"),
      `CHANGELOG.md has no section for ${pkg.version}`,
    );
  });
});
