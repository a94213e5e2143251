#!/usr/bin/env bash
# Builds one of our own Go modules under devenv/ (the image tool, the test
# buildpack) as a static binary named after it, into the cache dir $2, which
# the harness names after a hash of the module's sources so an edit builds a
# fresh copy.
. "$(dirname "$0")/common.sh"
MODULE="${1:?usage: own-module.sh <module under devenv/, e.g. imagetool> <cache dir name>}"
NAME="${2:?usage: own-module.sh <module under devenv/> <cache dir name, e.g. imagetool-<hash>>}"
DEST="$CACHE_ROOT/bin/$NAME"
[ -x "$DEST/$MODULE" ] && { echo "cached: $DEST"; exit 0; }
SRC="$(cd "$(dirname "$0")/../../devenv/$MODULE" && pwd)"
scratch "$MODULE"
mkdir -p "$TMP/bin"
log "go build $MODULE"
(cd "$SRC" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$TMP/bin/$MODULE" .)
finish "$DEST" "$TMP"
