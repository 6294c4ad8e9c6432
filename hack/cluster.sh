#!/usr/bin/env bash
# Runs Modelplane's local control plane: a real etcd, kube-apiserver, kube-controller-manager and kube-scheduler
# (the binaries hack/install-tools.sh built into bin/) started by `kwokctl --runtime binary` on 127.0.0.1, with
# kwok simulating the nodes. These machines have no Docker engine, so kind is not an option here.
#
# Usage: hack/cluster.sh up|down|kubeconfig|status
#   up          start the cluster, or reuse the running one (idempotent); prints how long it took
#   down        stop every process of the cluster and remove its files
#   kubeconfig  print the absolute path of the cluster's kubeconfig
#   status      exit 0 when the API server answers
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/bin
NAME=modelplane
export KWOK_WORKDIR=$ROOT/.cluster
CLUSTER_DIR=$KWOK_WORKDIR/clusters/$NAME
KUBECONFIG_PATH=$CLUSTER_DIR/kubeconfig.yaml
# A fixed port keeps the kubeconfig stable across restarts; override when it is taken. The other components use
# the five ports after it.
APISERVER_PORT=${MODELPLANE_APISERVER_PORT:-16443}
NODES=${MODELPLANE_KWOK_NODES:-2}

say() { printf '[cluster %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf 'cluster: %s\n' "$*" >&2; exit 1; }
kctl() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG_PATH" "$@"; }

need_tools() {
  local t
  for t in kwokctl kwok etcd kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    [ -x "$BIN/$t" ] || die "bin/$t is missing: run 'make tools' first"
  done
}

healthy() { [ -f "$KUBECONFIG_PATH" ] && kctl get --raw /readyz >/dev/null 2>&1; }

# The kwokctl configuration: API server flags the platform needs, and the local binaries instead of downloads.
write_config() {
  mkdir -p "$KWOK_WORKDIR"
  cat >"$KWOK_WORKDIR/kwokctl.yaml" <<YAML
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
options:
  runtime: binary
  # Every component listens on loopback only, on ports next to the API server's.
  bindAddress: 127.0.0.1
  kubeApiserverPort: $APISERVER_PORT
  etcdPort: $((APISERVER_PORT + 1))
  etcdPeerPort: $((APISERVER_PORT + 2))
  kubeControllerManagerPort: $((APISERVER_PORT + 3))
  kubeSchedulerPort: $((APISERVER_PORT + 4))
  kwokControllerPort: $((APISERVER_PORT + 5))
  kubeApiserverBinary: $BIN/kube-apiserver
  kubeControllerManagerBinary: $BIN/kube-controller-manager
  kubeSchedulerBinary: $BIN/kube-scheduler
  kwokControllerBinary: $BIN/kwok
  etcdBinary: $BIN/etcd
  kubectlBinary: $BIN/kubectl
  etcdVersion: $("$BIN/etcd" --version | awk '/^etcd Version/{print $3}')
  kubeVersion: $("$BIN/kube-apiserver" --version | awk '{print $2}')
componentsPatches:
- name: kube-apiserver
  extraArgs:
  # No kube-proxy here: the API server must reach webhook and aggregated services through their endpoints.
  - key: enable-aggregator-routing
    value: "true"
  # The default service range (10.0.0.0/24) runs out after 254 Services; e2e and scale tests need more.
  - key: service-cluster-ip-range
    value: 10.96.0.0/16
# kwok simulates only the nodes annotated kwok.x-k8s.io/node=fake, so a real node agent (the process node) can
# register a node of its own beside them.
- name: kwok-controller
  extraArgs:
  - key: manage-all-nodes
    value: "false"
    override: true
  - key: manage-nodes-with-annotation-selector
    value: kwok.x-k8s.io/node=fake
YAML
}

# add_nodes N: simulated nodes with room for many pods; kwok marks them Ready and runs their pods' lifecycle.
add_nodes() {
  local i
  for ((i = 0; i < $1; i++)); do
    cat <<YAML
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    type: kwok
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "110"}
  capacity: {cpu: "32", memory: 256Gi, pods: "110"}
---
YAML
  done | kctl apply -f - >/dev/null
}

wait_for() {
  local what=$1 tries=$2
  shift 2
  local i
  for ((i = 0; i < tries; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  die "timed out waiting for $what; logs are in $CLUSTER_DIR/logs"
}

up() {
  need_tools
  local start=$SECONDS
  if healthy; then
    say "already running ($(kctl version -o json | sed -n 's/.*"gitVersion": "\(v[^"]*\)".*/\1/p' | tail -1)); kubeconfig: $KUBECONFIG_PATH"
    return 0
  fi
  if [ -d "$CLUSTER_DIR" ]; then
    say "found a stopped or broken cluster; starting it again"
    if ! "$BIN/kwokctl" --name "$NAME" start cluster --timeout 120s >/dev/null 2>&1 9>&- || ! healthy; then
      say "could not restart it; recreating"
      down_quiet
    fi
  fi
  if ! healthy; then
    write_config
    say "starting etcd, kube-apiserver (127.0.0.1:$APISERVER_PORT), kube-controller-manager, kube-scheduler, kwok"
    "$BIN/kwokctl" --name "$NAME" -c "$KWOK_WORKDIR/kwokctl.yaml" create cluster \
      --kubeconfig "$KWOK_WORKDIR/kubeconfig.merged" --wait 120s --timeout 180s 9>&-
  fi
  say "waiting for the API server, the default service account and $NODES kwok nodes"
  wait_for "the API server" 120 healthy
  add_nodes "$NODES"
  wait_for "the default service account" 120 kctl -n default get serviceaccount default
  wait_for "Ready nodes" 120 kctl wait --for=condition=Ready node --all --timeout=1s
  say "up in $((SECONDS - start)) s; kubeconfig: $KUBECONFIG_PATH"
  say "try: KUBECONFIG=$KUBECONFIG_PATH bin/kubectl get nodes"
}

down_quiet() {
  if [ -x "$BIN/kwokctl" ] && [ -d "$CLUSTER_DIR" ]; then
    "$BIN/kwokctl" --name "$NAME" delete cluster --kubeconfig "$KWOK_WORKDIR/kubeconfig.merged" >/dev/null 2>&1 || true
  fi
  # Anything kwokctl could not stop (a crashed start, a removed bin/) is found by its working directory.
  local pids
  pids=$(pgrep -f -- "$CLUSTER_DIR" || true)
  if [ -n "$pids" ]; then
    kill $pids 2>/dev/null || true
    local i
    for ((i = 0; i < 20; i++)); do
      pgrep -f -- "$CLUSTER_DIR" >/dev/null || break
      sleep 0.5
    done
    pids=$(pgrep -f -- "$CLUSTER_DIR" || true)
    if [ -n "$pids" ]; then kill -9 $pids 2>/dev/null || true; sleep 0.5; fi
  fi
  rm -rf "$KWOK_WORKDIR"
}

down() {
  local start=$SECONDS
  down_quiet
  say "down in $((SECONDS - start)) s; no cluster process or file is left"
}

# One cluster operation at a time: tests in parallel processes may all ask for `up` at once. The lock is taken on
# this script's own file, so `down` leaves no lock file behind. The daemons kwokctl starts must not inherit the lock
# (9>&- on each kwokctl call), or the lock would outlive this script.
locked() {
  exec 9<"${BASH_SOURCE[0]}"
  flock 9
  "$@"
}

case ${1:-} in
  up) locked up ;;
  down) locked down ;;
  kubeconfig) echo "$KUBECONFIG_PATH" ;;
  status) healthy ;;
  *) echo "usage: hack/cluster.sh up|down|kubeconfig|status" >&2; exit 2 ;;
esac
