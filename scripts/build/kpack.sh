#!/usr/bin/env bash
# Builds the kpack controller and webhook v$1 from the Go module proxy, through
# a wrapper module (kpack_module in common.sh).
. "$(dirname "$0")/common.sh"
V="${1:?usage: kpack.sh <version, e.g. 0.17.2>}"
DEST="$CACHE_ROOT/bin/kpack-v$V"
[ -x "$DEST/controller" ] && [ -x "$DEST/webhook" ] && { echo "cached: $DEST"; exit 0; }
scratch kpack
cd "$TMP"
kpack_module "$V"
mkdir -p bin
for b in controller webhook; do
  log "go build $b"
  CGO_ENABLED=0 go build -mod=mod -trimpath -ldflags "-s -w -X github.com/pivotal/kpack/cmd.Version=$V" -o "bin/$b" "github.com/pivotal/kpack/cmd/$b"
done
# The release manifests are ytt templates in the module's config/; keep them
# beside the binary so the test environment renders them without the module cache.
cp -r "$KPACK_SRC/config" bin/config
chmod -R u+w bin/config
finish "$DEST" "$TMP"
