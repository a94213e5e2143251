# Shared by the build scripts: where built binaries are cached, and a scratch
# wrapper module. Each script builds into a temp dir and moves the result into
# place only when every binary is there, so a killed build never leaves a
# half-filled cache entry behind.
set -euo pipefail
CACHE_ROOT="${PULUMI_KPACK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-kpack}"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
export GOTOOLCHAIN=local
# The scripts build with -mod=mod instead of running `go mod tidy` first: the
# build adds to go.mod and go.sum only the modules whose packages it compiles
# here, where tidy fetches every module that any platform or test would import.

# finish <dest> <tmpdir>: atomically publish tmpdir/bin as dest.
finish() {
  local dest="$1" tmp="$2"
  mkdir -p "$(dirname "$dest")"
  rm -rf "$dest.partial"
  mv "$tmp/bin" "$dest.partial"
  # An older, incomplete entry (one that lacks a file a newer script adds) is replaced.
  rm -rf "$dest"
  mv "$dest.partial" "$dest"
  echo "built into $dest"
}

# scratch <name>: a temp wrapper-module dir, removed however the script ends.
scratch() {
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/pk-$1.XXXXXX")
  trap 'rm -rf "$TMP"' EXIT
}

log() { echo "[build $(date +%H:%M:%S)] $*" >&2; }

# kpack_module <version>: makes the current dir a wrapper module
# for building packages of github.com/pivotal/kpack@v<version>, and sets
# KPACK_SRC to the module's source. kpack's go.mod has a replace
# (github.com/docker/docker), which makes `go install` refuse it; the wrapper
# repeats kpack's replaces so MVS picks the same versions.
kpack_module() {
  local v="$1"
  go mod init local/kpackbin >/dev/null 2>&1
  local info gomod
  info=$(go mod download -json "github.com/pivotal/kpack@v$v")
  gomod=$(echo "$info" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  KPACK_SRC=$(echo "$info" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  go mod edit -require="github.com/pivotal/kpack@v$v"
  awk '$1=="replace" && $4=="=>" {print $2"@"$3"="$5"@"$6} $1=="replace" && $3=="=>" {print $2"="$4"@"$5}' "$gomod" | while read -r r; do go mod edit -replace="$r"; done
  # Seed go.sum with kpack's own: some of its pseudo-version dependencies are
  # unknown to the checksum database, which would fail verification otherwise.
  cp "$KPACK_SRC/go.sum" go.sum
}
