#!/usr/bin/env bash
# Builds pulumi-resource-kubernetes $1 (the plugin @pulumi/kubernetes $1 asks
# for) from the Go module github.com/pulumi/pulumi-kubernetes/provider/v4 at
# pseudo-version $2 (the module has no semver tags; the module proxy here serves
# only some pseudo-versions, e.g. v4.0.0-20260115033456-f47bc2d6f199, the commit
# tagged v4.25.0). Upstream builds it with `replace sdk/v4 => ../sdk`, which is
# not in the module zip, so the published sdk/v4 of the same release ($3,
# default v$1) takes its place. The zip lacks the two files main.go embeds
# (schema-embed.json, terraform-mapping-embed.json); the module's own
# generate.go writes them from schema.json and terraform-mapping.json, as
# upstream's `VERSION=<version> go generate` does.
. "$(dirname "$0")/common.sh"
V="${1:?usage: pulumi-kubernetes.sh <plugin version, e.g. 4.25.0> <module pseudo-version> [sdk/v4 version]}"
MOD_VERSION="${2:?usage: pulumi-kubernetes.sh <plugin version> <module pseudo-version, e.g. v4.0.0-20260115033456-f47bc2d6f199> [sdk/v4 version]}"
SDK_VERSION="${3:-v$V}"
MOD=github.com/pulumi/pulumi-kubernetes/provider/v4
CMD=cmd/pulumi-resource-kubernetes
DEST="$CACHE_ROOT/bin/pulumi-kubernetes-v$V"
[ -x "$DEST/pulumi-resource-kubernetes" ] && { echo "cached: $DEST"; exit 0; }
scratch pulumi-kubernetes
cd "$TMP"
log "go mod download $MOD@$MOD_VERSION"
SRC=$(go mod download -json "$MOD@$MOD_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
[ -n "$SRC" ] || { go mod download -json "$MOD@$MOD_VERSION" >&2; exit 1; }
# The module becomes the main module: a writable copy.
cp -r "$SRC" src
chmod -R u+w src
cd src
go mod edit -dropreplace=github.com/pulumi/pulumi-kubernetes/sdk/v4
log "go get github.com/pulumi/pulumi-kubernetes/sdk/v4@$SDK_VERSION"
go get "github.com/pulumi/pulumi-kubernetes/sdk/v4@$SDK_VERSION" >/dev/null 2>&1 || go get "github.com/pulumi/pulumi-kubernetes/sdk/v4@$SDK_VERSION"
log "go generate $CMD (VERSION=$V)"
# generate.go imports pulumi's codegen/schema: compiled with the flags of the
# build below, those packages come out of Go's build cache for it instead of
# being compiled twice.
CGO_ENABLED=0 GOFLAGS="$GOFLAGS -trimpath" VERSION="$V" go generate "./$CMD"
mkdir -p "$TMP/bin"
log "go build pulumi-resource-kubernetes $V"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X $MOD/pkg/version.Version=$V" -o "$TMP/bin/pulumi-resource-kubernetes" "./$CMD"
# A concurrent run may have published meanwhile; finish would nest into it.
[ -x "$DEST/pulumi-resource-kubernetes" ] && { echo "cached (built concurrently): $DEST"; exit 0; }
finish "$DEST" "$TMP"
