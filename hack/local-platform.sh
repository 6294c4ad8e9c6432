#!/usr/bin/env bash
# Installs the platform chart (charts/platform, the umbrella a cluster admin installs) into the local control
# plane with `helm upgrade --install`, so the controller and its webhook run as a pod of the local process node
# under their own ServiceAccount and RBAC, exactly as the chart deploys them on a real cluster.
#
# The umbrella's upstream dependencies (Istio, Knative, cert-manager, NVIDIA device plugin) come from chart
# repositories on the internet (`helm dependency build`); locally they are off (hack/local-platform-values.yaml),
# so the chart is staged into .cluster/platform/ with only its file:// dependencies, which build offline.
# The local cluster is a scratch cluster: CRDs kept by releases that tests installed and removed (crds.keep) still
# carry those releases' names, so the install takes ownership of what the platform release renders.
#
# Usage: hack/local-platform.sh up|down|status|stage [DIR]
#   up      install or upgrade the release `platform` in modelplane-system and wait for the webhook (idempotent)
#   down    uninstall it (the CRDs stay: crds.keep)
#   status  exit 0 when the release is deployed
#   stage   only stage the charts (into DIR, default .cluster/platform) and print DIR/platform
# Needs the local control plane and the process node (make cluster-up node-up).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STAGE=$ROOT/.cluster/platform
HELM=$ROOT/bin/helm
PY=$ROOT/.venv/bin/python
NAMESPACE=modelplane-system
RELEASE=platform

say() { printf '[platform %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf 'local-platform: %s\n' "$*" >&2; exit 1; }

kubeconfig() {
  "$ROOT/hack/cluster.sh" status || die "the local control plane is down: run 'make cluster-up' first"
  "$ROOT/hack/cluster.sh" kubeconfig
}

# stage [DIR]: copies the three charts into DIR (default $STAGE) and builds the platform chart's file://
# dependencies there.
stage() {
  local dir=${1:-$STAGE} chart
  rm -rf "$dir"
  mkdir -p "$dir"
  for chart in modelplane-crds modelplane platform; do
    cp -r "$ROOT/charts/$chart" "$dir/$chart"
    rm -rf "$dir/$chart/charts" "$dir/$chart/Chart.lock"
  done
  "$PY" - "$dir/platform/Chart.yaml" <<'PY'
import sys

import yaml

path = sys.argv[1]
with open(path) as f:
    meta = yaml.safe_load(f)
meta["dependencies"] = [d for d in meta["dependencies"] if d["repository"].startswith("file://")]
with open(path, "w") as f:
    yaml.safe_dump(meta, f, sort_keys=False)
PY
  "$HELM" dependency build "$dir/platform" >/dev/null
}

up() {
  [ -x "$HELM" ] || die "bin/helm is missing: run 'make tools' first"
  [ -x "$PY" ] || die ".venv is missing: run 'make venv' first"
  local config start=$SECONDS
  config=$(kubeconfig)
  "$ROOT/hack/local-node.sh" status || die "the process node is down, so the controller pod would never run: run 'make node-up'"
  say "staging charts/platform with its local dependencies (modelplane-crds, modelplane)"
  stage
  say "helm upgrade --install $RELEASE (namespace $NAMESPACE); waiting for the controller and its webhook"
  "$HELM" --kubeconfig "$config" upgrade --install "$RELEASE" "$STAGE/platform" --namespace "$NAMESPACE" \
    --create-namespace -f "$ROOT/hack/local-platform-values.yaml" --take-ownership --wait --timeout 5m >/dev/null \
    || die "helm could not install the platform chart; see the error above, and the controller's log with
  .venv/bin/modelplane dev-node logs -n $NAMESPACE \$(bin/kubectl --kubeconfig $config -n $NAMESPACE get pods -o name | head -1 | cut -d/ -f2)"
  say "installed in $((SECONDS - start)) s: the controller and its webhook answer"
}

down() {
  local config
  config=$(kubeconfig)
  if ! "$HELM" --kubeconfig "$config" status "$RELEASE" --namespace "$NAMESPACE" >/dev/null 2>&1; then
    say "not installed"
    return 0
  fi
  "$HELM" --kubeconfig "$config" uninstall "$RELEASE" --namespace "$NAMESPACE" --wait >/dev/null
  say "uninstalled (the CRDs stay)"
}

case ${1:-} in
  up) up ;;
  down) down ;;
  status) "$HELM" --kubeconfig "$(kubeconfig)" status "$RELEASE" --namespace "$NAMESPACE" >/dev/null 2>&1 ;;
  stage) stage "${2:-$STAGE}"; echo "${2:-$STAGE}/platform" ;;
  *) echo "usage: hack/local-platform.sh up|down|status|stage [DIR]" >&2; exit 2 ;;
esac
