import * as os from "node:os";
import * as path from "node:path";

/** Repository root (this file compiles to dist/devenv/paths.js). */
export const repoRoot = path.resolve(__dirname, "..", "..");

/** Per-user cache for binaries built from the Go module proxy. */
export function cacheRoot(): string {
  return process.env.PULUMI_KPACK_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "pulumi-kpack");
}

/** Directory that holds node_modules/.bin (the project's Node ≥22 and tools). */
export const nodeBinDir = path.join(repoRoot, "node_modules", ".bin");
