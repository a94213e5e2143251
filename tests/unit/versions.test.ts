import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { versions } from "../../devenv/versions";

/** The npm packages and the binaries the environment builds must agree, or the engine would look for a plugin it has not got. */
describe("versions", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "..", "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };

  it("@pulumi/kubernetes asks for the plugin version the environment builds", () => {
    assert.equal(pkg.devDependencies["@pulumi/kubernetes"], versions.pulumiKubernetes);
  });

  it("@pulumi/pulumi: the lock file installs the version of the CLI the environment builds, and the range starts at the oldest tested", () => {
    const lock = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "..", "package-lock.json"), "utf8")) as {
      packages: Record<string, { version?: string }>;
    };
    assert.equal(lock.packages["node_modules/@pulumi/pulumi"]?.version, versions.pulumi);
    assert.equal(pkg.dependencies["@pulumi/pulumi"], `^${versions.pulumiOldest}`);
  });
});
