#!/usr/bin/env bash
# Builds kube-apiserver and kube-controller-manager of Kubernetes $1 from the Go
# module proxy; with more arguments, `<cache name> <cmd>...` builds those commands
# (e.g. `kubectl kubectl` for the bench) into a cache entry of their own. k8s.io/kubernetes requires its staging modules at v0.0.0 and
# replaces them with ./staging paths, so `go install` cannot build it; a
# wrapper module replaces each staging module with its published v0.<minor>.<patch>.
. "$(dirname "$0")/common.sh"
K="${1:?usage: kubernetes.sh <version, e.g. 1.34.4> [<cache name> <cmd>...]}"
NAME="${2:-kubernetes}"
if [ $# -gt 2 ]; then CMDS=("${@:3}"); else CMDS=(kube-apiserver kube-controller-manager); fi
DEST="$CACHE_ROOT/bin/$NAME-v$K"
[ -x "$DEST/${CMDS[0]}" ] && { echo "cached: $DEST"; exit 0; }
scratch k8s
cd "$TMP"
go mod init local/k8sbin >/dev/null 2>&1
log "downloading k8s.io/kubernetes@v$K"
GOMOD=$(go mod download -json "k8s.io/kubernetes@v$K" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
STAGING=v0.${K#1.}
for m in $(awk '$1 ~ /^k8s\.io\// && $2=="v0.0.0" {print $1}' "$GOMOD"); do
  # Required at that version too (as tidy would record it): the build then names the modules by it.
  go mod edit -replace="$m=$m@$STAGING" -require="$m@$STAGING"
done
go mod edit -require="k8s.io/kubernetes@v$K"
# k/k pins its own godebug defaults; a dependency's godebug line is ignored.
GODEBUG_LINE=$(awk '/^godebug/ {print; exit}' "$GOMOD" || true)
[ -n "$GODEBUG_LINE" ] && echo "$GODEBUG_LINE" >> go.mod
MINOR=$(echo "$K" | cut -d. -f2)
LDF="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  LDF="$LDF -X $p.gitVersion=v$K -X $p.gitMajor=1 -X $p.gitMinor=$MINOR"
done
mkdir -p bin
for b in "${CMDS[@]}"; do
  log "go build $b"
  CGO_ENABLED=0 go build -mod=mod -trimpath -tags selinux,notest -ldflags "$LDF" -o "bin/$b" "k8s.io/kubernetes/cmd/$b"
done
finish "$DEST" "$TMP"
