# Shared by the build scripts: where built binaries are cached, and a scratch
# wrapper module. Each script builds into a temp dir and moves the result into
# place only when every binary is there, so a killed build never leaves a
# half-filled cache entry behind.
set -euo pipefail
CACHE_ROOT="${PULUMI_KPACK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-kpack}"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
export GOTOOLCHAIN=local

# finish <dest> <tmpdir>: atomically publish tmpdir/bin as dest.
finish() {
  local dest="$1" tmp="$2"
  mkdir -p "$(dirname "$dest")"
  rm -rf "$dest.partial"
  mv "$tmp/bin" "$dest.partial"
  mv "$dest.partial" "$dest"
  echo "built into $dest"
}

# scratch <name>: a temp wrapper-module dir, removed however the script ends.
scratch() {
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/pk-$1.XXXXXX")
  trap 'rm -rf "$TMP"' EXIT
}

log() { echo "[build $(date +%H:%M:%S)] $*" >&2; }
