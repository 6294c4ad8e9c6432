#!/usr/bin/env bash
# Fetches the pinned upstream CRDs that the charts and overlays create objects of (cert-manager Certificate and
# Issuer, Argo CD Application, Prometheus Operator PodMonitor and ServiceMonitor, Knative operator KnativeServing),
# so the render tests can validate those objects against the real schemas on the local API server.
#
# Why this way: these machines reach package registries only. Each upstream project publishes its CRDs inside its
# Go module, so `go mod download` of the pinned version (through the Go module proxy) brings them; the files are
# copied into a cache outside the clone ($MODELPLANE_CACHE, default ~/.cache/modelplane) under <name>-<version>/
# and never committed. A folder that is complete (it holds .complete) is left alone, so re-running is cheap.
#
# Usage: hack/fetch-upstream-crds.sh            fetch what is missing, print one line per project
#        hack/fetch-upstream-crds.sh --dirs     print the cache folders, one per line (what the tests read)
set -euo pipefail

# -- pinned versions: NAME VERSION GO-MODULE FOLDER-IN-THE-MODULE FILE...
# cert-manager and the Knative operator follow charts/platform/Chart.yaml (the Knative operator's newest module
# version on the proxy is v0.42.2; see docs/dependencies.md); Argo CD and the Prometheus Operator are the newest
# stable releases the pinned Go toolchain can download.
PINS=(
  "cert-manager v1.19.1 github.com/cert-manager/cert-manager deploy/crds cert-manager.io_certificates.yaml cert-manager.io_issuers.yaml"
  "argo-cd v3.5.8 github.com/argoproj/argo-cd/v3 manifests/crds application-crd.yaml"
  "prometheus-operator v0.85.0 github.com/prometheus-operator/prometheus-operator example/prometheus-operator-crd monitoring.coreos.com_podmonitors.yaml monitoring.coreos.com_servicemonitors.yaml"
  "knative-operator v0.42.2 knative.dev/operator config/crd/bases operator.knative.dev_knativeservings.yaml"
)

CACHE=${MODELPLANE_CACHE:-$HOME/.cache/modelplane}
export GOFLAGS=-mod=mod GOTOOLCHAIN=local

say() { printf '[crds %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf 'fetch-upstream-crds: %s\n' "$*" >&2; exit 1; }

if [ "${1:-}" = "--dirs" ]; then
  for pin in "${PINS[@]}"; do
    read -r name version _ <<<"$pin"
    echo "$CACHE/$name-$version"
  done
  exit 0
fi
[ $# -eq 0 ] || die "unknown argument '$1' (usage: hack/fetch-upstream-crds.sh [--dirs])"
command -v go >/dev/null || die "go is missing: the CRDs come from Go modules (install Go, as for hack/install-tools.sh)"
mkdir -p "$CACHE"

for pin in "${PINS[@]}"; do
  read -r name version module folder files <<<"$pin"
  dest=$CACHE/$name-$version
  # The marker names the files fetched, so a pin that gained a file fetches again.
  if [ -f "$dest/.complete" ] && [ "$(cat "$dest/.complete")" = "$module $version $folder/$files" ]; then
    say "$name $version: cached in $dest"
    continue
  fi
  say "$name $version: downloading $module@$version"
  work=$(mktemp -d "$CACHE/crds.XXXXXX")
  dir=$(cd "$work" && go mod download -json "$module@$version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [ -n "$dir" ] && [ -d "$dir/$folder" ] || { rm -rf "$work"; die "$module@$version has no $folder"; }
  rm -rf "$dest"
  mkdir -p "$dest"
  for file in $files; do
    [ -f "$dir/$folder/$file" ] || { rm -rf "$work" "$dest"; die "$module@$version has no $folder/$file"; }
    cp "$dir/$folder/$file" "$dest/$file"
    chmod u+w "$dest/$file"
  done
  printf '%s %s %s/%s\n' "$module" "$version" "$folder" "$files" >"$dest/.complete"
  rm -rf "$work"
  say "$name $version: $(wc -w <<<"$files") CRD file(s) in $dest"
done
