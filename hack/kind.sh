#!/usr/bin/env bash
# The e2e suite's kind profile, for machines with a Docker engine (kind runs Kubernetes nodes as containers, so it
# cannot run where there is no Docker, as on the machines the local profile is made for). It creates a one-node kind
# cluster, builds the two Modelplane images and loads them into the node, and installs the whole platform chart
# (Istio, Knative Serving, cert-manager, the Modelplane CRDs and controller) with hack/kind-platform-values.yaml.
# The suite then runs with real Knative and Istio data planes: `make kind-e2e`.
#
# Usage: hack/kind.sh up|down|kubeconfig|url
#   up          create or reuse the cluster, (re)build and load the images, install or upgrade the platform
#   down        delete the cluster
#   kubeconfig  print the cluster's kubeconfig path
#   url         print the ingress gateway's address (Host headers pick the InferenceService)
# `helm dependency build charts/platform` fetches the pinned upstream charts: the one step that needs the internet
# (besides Docker pulling the node image and upstream images).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NAME=${MODELPLANE_KIND_CLUSTER:-modelplane}
STATE=$ROOT/.cluster/kind
KUBECONFIG_PATH=$STATE/kubeconfig
# kind v0.33.0's image of Kubernetes 1.34 (the release the local control plane runs); a digest names exactly the
# image built for this kind release (from the kind v0.33.0 release notes).
NODE_IMAGE=kindest/node:v1.34.11@sha256:44e222ee2132dab25ff87301682f89eb82c7880ea3a1bf543bfe9708fd08d67d
VERSION=0.1.0
KIND=$ROOT/bin/kind
HELM=$ROOT/bin/helm

say() { printf '[kind %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf 'kind: %s\n' "$*" >&2; exit 1; }

need_docker() {
  command -v docker >/dev/null || die "docker is not installed: the kind profile needs a Docker engine (the local profile, make e2e, needs none)"
  docker info >/dev/null 2>&1 || die "no Docker engine answers (docker info failed): start one, or use the local profile (make e2e)"
}

up() {
  need_docker
  "$ROOT/hack/install-tools.sh" kind helm kube >/dev/null
  mkdir -p "$STATE"
  local start=$SECONDS
  if "$KIND" get clusters 2>/dev/null | grep -qx "$NAME"; then
    say "cluster $NAME exists; reusing it"
    "$KIND" export kubeconfig --name "$NAME" --kubeconfig "$KUBECONFIG_PATH" >/dev/null
  else
    say "creating kind cluster $NAME ($NODE_IMAGE)"
    "$KIND" create cluster --name "$NAME" --image "$NODE_IMAGE" --config "$ROOT/hack/kind-config.yaml" \
      --kubeconfig "$KUBECONFIG_PATH" --wait 180s
  fi
  say "building modelplane/runtime:$VERSION and modelplane/controller:$VERSION"
  docker build --quiet -t "modelplane/runtime:$VERSION" "$ROOT/runtimes" >/dev/null
  docker build --quiet -t "modelplane/controller:$VERSION" "$ROOT/controllers" >/dev/null
  say "loading the images into the node"
  "$KIND" load docker-image --name "$NAME" "modelplane/runtime:$VERSION" "modelplane/controller:$VERSION" >/dev/null
  say "fetching the platform chart's pinned dependencies (helm dependency build; needs the internet)"
  "$HELM" dependency build "$ROOT/charts/platform" >/dev/null
  say "installing the platform chart (Istio, Knative, cert-manager, Modelplane); this takes a few minutes"
  "$HELM" --kubeconfig "$KUBECONFIG_PATH" upgrade --install platform "$ROOT/charts/platform" \
    --namespace modelplane-system --create-namespace -f "$ROOT/hack/kind-platform-values.yaml" --wait --timeout 20m
  say "up in $((SECONDS - start)) s; kubeconfig $KUBECONFIG_PATH, ingress $(url)"
}

down() {
  need_docker
  if "$KIND" get clusters 2>/dev/null | grep -qx "$NAME"; then
    "$KIND" delete cluster --name "$NAME"
  fi
  rm -rf "$STATE"
  say "cluster $NAME deleted"
}

url() { echo "http://127.0.0.1:8089"; }

case ${1:-} in
  up) up ;;
  down) down ;;
  kubeconfig) echo "$KUBECONFIG_PATH" ;;
  url) url ;;
  *) echo "usage: hack/kind.sh up|down|kubeconfig|url" >&2; exit 2 ;;
esac
