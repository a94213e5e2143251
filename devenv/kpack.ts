import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { cacheRoot } from "./paths";
import { versions } from "./versions";

/**
 * kpack's own config/ directory (CRDs and the ytt templates of the release
 * manifest) for the pinned version: the copy kept beside the built controller,
 * else the module downloaded from the Go module proxy. Nothing is committed.
 */
export function kpackConfigDir(version: string = versions.kpack): string {
  const cached = path.join(cacheRoot(), "bin", `kpack-v${version}`, "config");
  if (fs.existsSync(cached)) return cached;
  const out = execFileSync("go", ["mod", "download", "-json", `github.com/pivotal/kpack@v${version}`], {
    encoding: "utf8",
    env: { ...process.env, GOFLAGS: "-mod=mod", GOTOOLCHAIN: "local" },
    cwd: os.tmpdir(),
  });
  const dir = (JSON.parse(out) as { Dir?: string }).Dir;
  if (!dir) throw new Error(`go mod download of github.com/pivotal/kpack@v${version} returned no directory:\n${out}`);
  return path.join(dir, "config");
}
