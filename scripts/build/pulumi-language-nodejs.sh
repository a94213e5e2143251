#!/usr/bin/env bash
# Builds the Pulumi Node.js language host from sdk/v3 v$1. Its own module
# (.../sdk/nodejs/cmd/pulumi-language-nodejs/v3) has no semver tag and the Go
# module proxy answers 403 for its pseudo-versions; sdk/v3 itself carried the
# same package (github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs)
# from v3.50.0 up to v3.68.0, and that host runs programs for the CLI 3.259 and
# @pulumi/pulumi 3.259.
. "$(dirname "$0")/common.sh"
V="${1:?usage: pulumi-language-nodejs.sh <sdk/v3 version, at most 3.68.0>}"
PKG=github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
DEST="$CACHE_ROOT/bin/pulumi-language-nodejs-v$V"
[ -x "$DEST/pulumi-language-nodejs" ] && { echo "cached: $DEST"; exit 0; }
scratch pulumi-language-nodejs
cd "$TMP"
go mod init local/pulumilanguagenodejs >/dev/null 2>&1
go mod edit -require="github.com/pulumi/pulumi/sdk/v3@v$V"
mkdir -p bin
log "go build pulumi-language-nodejs"
# The version is what the host reports to the engine (GetPluginInfo).
CGO_ENABLED=0 go build -mod=mod -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$V" -o bin/pulumi-language-nodejs "$PKG"
# A concurrent run may have published meanwhile; finish would nest into it.
[ -x "$DEST/pulumi-language-nodejs" ] && { echo "cached (built concurrently): $DEST"; exit 0; }
finish "$DEST" "$TMP"
