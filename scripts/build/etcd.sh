#!/usr/bin/env bash
# Builds etcd $1 from the Go module proxy. The server module's main package is
# its root and its requirements are real versions, so a wrapper needs no replace.
. "$(dirname "$0")/common.sh"
V="${1:?usage: etcd.sh <version, e.g. 3.6.16>}"
DEST="$CACHE_ROOT/bin/etcd-v$V"
[ -x "$DEST/etcd" ] && { echo "cached: $DEST"; exit 0; }
scratch etcd
cd "$TMP"
go mod init local/etcdbin >/dev/null 2>&1
log "go get go.etcd.io/etcd/server/v3@v$V"
go get "go.etcd.io/etcd/server/v3@v$V" >/dev/null 2>&1 || go get "go.etcd.io/etcd/server/v3@v$V"
mkdir -p bin
log "go build etcd"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o bin/etcd go.etcd.io/etcd/server/v3
finish "$DEST" "$TMP"
