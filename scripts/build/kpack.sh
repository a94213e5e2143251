#!/usr/bin/env bash
# Builds the kpack controller v$1 from the Go module proxy. kpack's go.mod has
# one replace (github.com/docker/docker), which makes `go install` refuse it; a
# wrapper module repeats that replace and builds the package by path.
. "$(dirname "$0")/common.sh"
V="${1:?usage: kpack.sh <version, e.g. 0.17.2>}"
DEST="$CACHE_ROOT/bin/kpack-v$V"
[ -x "$DEST/controller" ] && { echo "cached: $DEST"; exit 0; }
scratch kpack
cd "$TMP"
go mod init local/kpackbin >/dev/null 2>&1
INFO=$(go mod download -json "github.com/pivotal/kpack@v$V")
GOMOD=$(echo "$INFO" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
SRC=$(echo "$INFO" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
go mod edit -require="github.com/pivotal/kpack@v$V"
# Copy kpack's own replace lines (single-line form) so MVS picks the same versions.
awk '$1=="replace" && $4=="=>" {print $2"@"$3"="$5"@"$6} $1=="replace" && $3=="=>" {print $2"="$4"@"$5}' "$GOMOD" | while read -r r; do go mod edit -replace="$r"; done
# Seed go.sum with kpack's own: some of its pseudo-version dependencies are
# unknown to the checksum database, which would fail verification otherwise.
cp "$SRC/go.sum" go.sum
printf '//go:build tools\npackage tools\nimport _ "github.com/pivotal/kpack/cmd/controller"\n' > tools.go
log "go mod tidy (kpack v$V)"
go mod tidy >/dev/null
mkdir -p bin
log "go build controller"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/pivotal/kpack/cmd.Version=$V" -o bin/controller github.com/pivotal/kpack/cmd/controller
# The release manifests are ytt templates in the module's config/; keep them
# beside the binary so the test environment renders them without the module cache.
cp -r "$SRC/config" bin/config
chmod -R u+w bin/config
finish "$DEST" "$TMP"
