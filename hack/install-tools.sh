#!/usr/bin/env bash
# Builds Modelplane's pinned command-line tools from their Go modules and links them into bin/.
#
# Why: these machines reach package registries only, so every tool comes from the Go module proxy and is compiled
# here. A build lands once in a cache outside the clone ($MODELPLANE_CACHE, default ~/.cache/modelplane), in a
# folder keyed by tool and version; a fresh clone only links the cached binaries, so re-running is cheap and safe.
#
# Usage: hack/install-tools.sh [TOOL...]   (default: every tool below but kind, which only `make kind-up` needs)
set -euo pipefail

# -- pinned versions: change a line here and the next run builds the new one beside the old.
KUBE_VERSION=v1.34.4      # kube-apiserver, kube-controller-manager, kube-scheduler, kubectl
ETCD_VERSION=v3.5.35
HELM_VERSION=v3.19.5
KUSTOMIZE_VERSION=v5.7.1
KWOK_VERSION=v0.8.0       # kwok and kwokctl
KIND_VERSION=v0.33.0      # kind, for the kind e2e profile on machines with Docker (hack/kind.sh)

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${MODELPLANE_CACHE:-$HOME/.cache/modelplane}
BIN=$ROOT/bin
export GOFLAGS=-buildvcs=false GOTOOLCHAIN=local CGO_ENABLED=0
mkdir -p "$BIN" "$CACHE"

say() { printf '[tools %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# link NAME DIR: points bin/NAME at the cached binary.
link() { ln -sfn "$2/$1" "$BIN/$1"; }

# wrapper_module DIR MODULE VERSION: a throwaway main module that requires MODULE@VERSION, so packages of a module
# whose go.mod has local `replace` lines (which `go install pkg@version` refuses) can still be built.
wrapper_module() {
  local dir=$1 module=$2 version=$3
  mkdir -p "$dir"
  printf 'module modelplane.local/toolbuild\n\ngo 1.24\n\nrequire %s %s\n' "$module" "$version" >"$dir/go.mod"
}

# build DEST MODULE VERSION LDFLAGS PKG...: compiles PKGs (full import paths) into DEST through a wrapper module.
build() {
  local dest=$1 module=$2 version=$3 ldflags=$4
  shift 4
  local work
  work=$(mktemp -d "$CACHE/build.XXXXXX")
  wrapper_module "$work" "$module" "$version"
  if [ -n "${EXTRA_REPLACES:-}" ]; then printf '%s\n' "$EXTRA_REPLACES" >>"$work/go.mod"; fi
  (cd "$work" && go mod download "$module" && go build -mod=mod -trimpath -ldflags "-s -w $ldflags" -o "$work/out/" "$@")
  mkdir -p "$dest"
  mv "$work"/out/* "$dest/"
  rm -rf "$work"
}

# staging_replaces VERSION: Kubernetes' go.mod points each k8s.io/* staging module at ./staging; a build outside
# that tree needs the published module of the matching release instead (v1.34.4 -> v0.34.4).
staging_replaces() {
  local version=$1 gomod
  gomod=$(cd "$CACHE" && go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  local staging=v0.${version#v1.}
  echo "replace ("
  sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#\t\1 => \1 '"$staging"'#p' "$gomod"
  echo ")"
}

kube() {
  local dest=$CACHE/kubernetes-$KUBE_VERSION
  if [ ! -x "$dest/kube-apiserver" ] || [ ! -x "$dest/kubectl" ] || [ ! -x "$dest/kube-scheduler" ] \
     || [ ! -x "$dest/kube-controller-manager" ]; then
    say "building Kubernetes $KUBE_VERSION (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl); a cold build takes a while"
    local v=${KUBE_VERSION#v} major minor
    major=${v%%.*}; minor=${v#*.}; minor=${minor%%.*}
    local stamp="" pkg
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      stamp+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
      stamp+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
    done
    EXTRA_REPLACES=$(staging_replaces "$KUBE_VERSION") build "$dest" k8s.io/kubernetes "$KUBE_VERSION" "$stamp" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
  fi
  local t
  for t in kube-apiserver kube-controller-manager kube-scheduler kubectl; do link "$t" "$dest"; done
}

etcd() {
  local dest=$CACHE/etcd-$ETCD_VERSION
  if [ ! -x "$dest/etcd" ]; then
    say "building etcd $ETCD_VERSION"
    build "$dest/tmp" go.etcd.io/etcd/server/v3 "$ETCD_VERSION" "" go.etcd.io/etcd/server/v3
    mv "$dest/tmp/v3" "$dest/etcd" 2>/dev/null || mv "$dest"/tmp/* "$dest/etcd"
    rmdir "$dest/tmp"
  fi
  link etcd "$dest"
}

helm() {
  local dest=$CACHE/helm-$HELM_VERSION
  if [ ! -x "$dest/helm" ]; then
    say "building helm $HELM_VERSION"
    build "$dest" helm.sh/helm/v3 "$HELM_VERSION" \
      "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean" \
      helm.sh/helm/v3/cmd/helm
  fi
  link helm "$dest"
}

kustomize() {
  local dest=$CACHE/kustomize-$KUSTOMIZE_VERSION
  if [ ! -x "$dest/kustomize" ]; then
    say "building kustomize $KUSTOMIZE_VERSION"
    build "$dest" sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION" "" sigs.k8s.io/kustomize/kustomize/v5
    [ -x "$dest/kustomize" ] || mv "$dest/v5" "$dest/kustomize"
  fi
  link kustomize "$dest"
}

kwok() {
  local dest=$CACHE/kwok-$KWOK_VERSION
  if [ ! -x "$dest/kwok" ] || [ ! -x "$dest/kwokctl" ]; then
    say "building kwok and kwokctl $KWOK_VERSION"
    build "$dest" sigs.k8s.io/kwok "$KWOK_VERSION" "-X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" \
      sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl
  fi
  link kwok "$dest"
  link kwokctl "$dest"
}

kind() {
  local dest=$CACHE/kind-$KIND_VERSION
  if [ ! -x "$dest/kind" ]; then
    say "building kind $KIND_VERSION"
    build "$dest" sigs.k8s.io/kind "$KIND_VERSION" "" sigs.k8s.io/kind
  fi
  link kind "$dest"
}

tools=("$@")
[ ${#tools[@]} -gt 0 ] || tools=(helm kustomize kwok etcd kube)
start=$SECONDS
for t in "${tools[@]}"; do
  case $t in
    kube|etcd|helm|kustomize|kwok|kind) s=$SECONDS; $t; say "$t ready ($((SECONDS - s)) s)" ;;
    *) echo "install-tools: unknown tool '$t' (known: kube etcd helm kustomize kwok kind)" >&2; exit 2 ;;
  esac
done
say "all tools in $BIN ($((SECONDS - start)) s)"
