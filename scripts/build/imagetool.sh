#!/usr/bin/env bash
# Builds the test environment's image tool (devenv/imagetool, our own module
# on go-containerregistry) into the cache dir $1, which the harness names after
# a hash of the tool's sources so an edit builds a fresh copy.
. "$(dirname "$0")/common.sh"
NAME="${1:?usage: imagetool.sh <cache dir name, e.g. imagetool-<hash>>}"
DEST="$CACHE_ROOT/bin/$NAME"
[ -x "$DEST/imagetool" ] && { echo "cached: $DEST"; exit 0; }
SRC="$(cd "$(dirname "$0")/../../devenv/imagetool" && pwd)"
scratch imagetool
mkdir -p "$TMP/bin"
log "go build imagetool"
(cd "$SRC" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$TMP/bin/imagetool" .)
finish "$DEST" "$TMP"
