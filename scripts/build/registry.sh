#!/usr/bin/env bash
# Builds the CNCF Distribution registry v$1 from the Go module proxy. Its
# cmd/registry also links the Azure, GCS and S3 storage drivers, which tests
# never use; a three-import main of our own with only the filesystem and
# in-memory drivers and htpasswd auth builds in a fraction of the time.
. "$(dirname "$0")/common.sh"
V="${1:?usage: registry.sh <version, e.g. 3.1.2>}"
DEST="$CACHE_ROOT/bin/registry-v$V"
[ -x "$DEST/registry" ] && { echo "cached: $DEST"; exit 0; }
scratch registry
cd "$TMP"
go mod init local/registrybin >/dev/null 2>&1
cat > main.go <<'GO'
package main

import (
	"github.com/distribution/distribution/v3/registry"
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"
)

func main() { _ = registry.RootCmd.Execute() }
GO
log "go get github.com/distribution/distribution/v3@v$V"
go get "github.com/distribution/distribution/v3@v$V" >/dev/null 2>&1 || go get "github.com/distribution/distribution/v3@v$V"
mkdir -p bin
log "go build registry"
CGO_ENABLED=0 go build -mod=mod -trimpath -ldflags "-s -w -X github.com/distribution/distribution/v3/version.version=v$V" -o bin/registry .
finish "$DEST" "$TMP"
