#!/usr/bin/env bash
# Builds the binaries kpack v$1 runs inside its build pods (build-init,
# completion, rebase, build-waiter) through the same wrapper module as the
# controller, into their own cache entry so the controller's stays valid.
. "$(dirname "$0")/common.sh"
V="${1:?usage: kpack-build.sh <version, e.g. 0.17.2>}"
DEST="$CACHE_ROOT/bin/kpack-build-v$V"
CMDS="build-init completion rebase build-waiter"
[ -x "$DEST/build-waiter" ] && { echo "cached: $DEST"; exit 0; }
scratch kpack-build
cd "$TMP"
kpack_module "$V"
mkdir -p bin
for c in $CMDS; do
  log "go build $c"
  CGO_ENABLED=0 go build -mod=mod -trimpath -ldflags "-s -w -X github.com/pivotal/kpack/cmd.Version=$V" -o "bin/$c" "github.com/pivotal/kpack/cmd/$c"
done
finish "$DEST" "$TMP"
