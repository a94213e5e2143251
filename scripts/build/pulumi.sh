#!/usr/bin/env bash
# Builds the Pulumi CLI at v$1 from the Go module proxy. pkg/v3 carries replace
# lines, so `go install` refuses it; a wrapper module builds it by path.
# The Node.js language host (module .../sdk/nodejs/cmd/pulumi-language-nodejs/v3)
# is not built: it has no semver tag and the module proxy here answers 403 for
# its pseudo-versions. Tests run Pulumi programs inline through the Automation
# API, where the CLI talks to a language runtime inside the test process instead.
. "$(dirname "$0")/common.sh"
V="${1:?usage: pulumi.sh <version, e.g. 3.259.0>}"
DEST="$CACHE_ROOT/bin/pulumi-v$V"
[ -x "$DEST/pulumi" ] && { echo "cached: $DEST"; exit 0; }
scratch pulumi
cd "$TMP"
go mod init local/pulumibin >/dev/null 2>&1
go mod edit -require="github.com/pulumi/pulumi/pkg/v3@v$V" \
  -require="github.com/pulumi/pulumi/sdk/v3@v$V" \
  -replace=github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e
LDF="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$V"
mkdir -p bin
log "go build pulumi"
CGO_ENABLED=0 go build -mod=mod -trimpath -ldflags "$LDF" -o bin/pulumi github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
finish "$DEST" "$TMP"
