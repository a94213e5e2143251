import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { sourceTreeHash, tarEntries } from "../../devenv/image-files";

describe("image files (pure)", () => {
  it("hashes a source tree as the test buildpack does: each path, NUL, content, NUL, in path order", () => {
    // Independent of the order the files are given in.
    const expected = crypto.createHash("sha256").update("a.txt\0A\0b/c.txt\0C\0").digest("hex");
    assert.equal(sourceTreeHash({ "b/c.txt": "C", "a.txt": "A" }), expected);
  });

  it("reads ustar and PAX entries of a tar", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pk-tar-"));
    try {
      const long = `${"d".repeat(120)}/file.txt`;
      fs.mkdirSync(path.join(dir, "layers", "bp", "proof"), { recursive: true });
      fs.writeFileSync(path.join(dir, "layers", "bp", "proof", "proof.txt"), "source-sha256=abc\n");
      fs.mkdirSync(path.join(dir, path.dirname(long)), { recursive: true });
      fs.writeFileSync(path.join(dir, long), "long name\n");
      const tar = execFileSync("tar", ["--format=pax", "-c", "-C", dir, "layers", long.split("/")[0]]);
      const entries = tarEntries(tar);
      assert.equal(entries.find((e) => e.name === "layers/bp/proof/proof.txt")?.data.toString(), "source-sha256=abc\n");
      assert.equal(entries.find((e) => e.name === long)?.data.toString(), "long name\n");
      assert.ok(
        entries.some((e) => e.name.startsWith("layers/bp") && e.type === "5"),
        "directories are entries too",
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
