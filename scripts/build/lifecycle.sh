#!/usr/bin/env bash
# Builds the CNB lifecycle v$1 from the Go module proxy: the multi-call
# `lifecycle` binary (it picks its phase from argv[0], so the phase names are
# symlinks to it, as the lifecycle's own Makefile lays them out) and `launcher`.
# The module has no replace directives, so a wrapper module can require it as is.
. "$(dirname "$0")/common.sh"
V="${1:?usage: lifecycle.sh <version, e.g. 0.20.12>}"
DEST="$CACHE_ROOT/bin/lifecycle-v$V"
[ -x "$DEST/lifecycle" ] && [ -x "$DEST/launcher" ] && [ -f "$DEST/descriptor.json" ] && { echo "cached: $DEST"; exit 0; }
scratch lifecycle
cd "$TMP"
go mod init local/lifecyclebin >/dev/null 2>&1
INFO=$(go mod download -json "github.com/buildpacks/lifecycle@v$V")
SRC=$(echo "$INFO" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
go mod edit -require="github.com/buildpacks/lifecycle@v$V"
cp "$SRC/go.sum" go.sum
mkdir -p bin
LDFLAGS="-s -w -X github.com/buildpacks/lifecycle/cmd.Version=$V -X github.com/buildpacks/lifecycle/cmd.SCMRepository=github.com/buildpacks/lifecycle"
for b in lifecycle launcher; do
  log "go build $b"
  CGO_ENABLED=0 go build -mod=mod -trimpath -ldflags "$LDFLAGS" -o "bin/$b" "github.com/buildpacks/lifecycle/cmd/$b"
done
# The lifecycle image's labels name the Platform and Buildpack APIs this
# lifecycle supports; they are read from the source (api/apis.go, the lists
# the binary itself checks against) rather than written down a second time.
apis() {
  local line; line=$(grep -E "^\s*$1 = newApisMustParse\(" "$SRC/api/apis.go")
  [ -n "$line" ] || { echo "no '$1 = newApisMustParse(' line in $SRC/api/apis.go" >&2; exit 1; }
  echo "$line" | grep -o '\[\]string{[^}]*}' | sed 's/\[\]string{/[/; s/}$/]/' | tr '\n' ' ' |
    awk '{ sub(/\] \[/, "], \"deprecated\": ["); print "{\"supported\": " $0 "}" }' | sed 's/ }$/}/'
}
printf '{"version": "%s", "apis": {"buildpack": %s, "platform": %s}}\n' "$V" "$(apis Buildpack)" "$(apis Platform)" > bin/descriptor.json
for phase in detector analyzer restorer builder exporter rebaser creator extender; do ln -sf lifecycle "bin/$phase"; done
finish "$DEST" "$TMP"
