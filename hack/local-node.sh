#!/usr/bin/env bash
# Runs the local process node (`modelplane dev-node run`) in the background against the local control plane, so
# pods of Modelplane's images really run (as local processes) instead of being simulated by kwok.
# Its pid file, log and state (pod volumes, container logs) live in .cluster/local-node/. Needs root (it
# bind-mounts pod volumes in private mount namespaces and adds pod addresses to the loopback device).
#
# Usage: hack/local-node.sh up|down|status|logs
#   up      start it, or keep the running one (idempotent); waits until the node is Ready
#   down    stop it: every pod's processes get SIGTERM and their grace period, then the agent exits
#   status  exit 0 when it runs
#   logs    print the agent's log (a container's log: .venv/bin/modelplane dev-node logs POD -n NAMESPACE)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE=$ROOT/.cluster/local-node
PID_FILE=$STATE/agent.pid
LOG=$STATE/agent.log
NODE=${MODELPLANE_NODE_NAME:-local-process-node}
MODELPLANE=$ROOT/.venv/bin/modelplane
KUBECTL=$ROOT/bin/kubectl

say() { printf '[local-node %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf 'local-node: %s\n' "$*" >&2; exit 1; }

running() {
  [ -f "$PID_FILE" ] || return 1
  local pid
  pid=$(cat "$PID_FILE")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q "dev-node" "/proc/$pid/cmdline" 2>/dev/null
}

up() {
  [ -x "$MODELPLANE" ] || die ".venv/bin/modelplane is missing: run 'make venv' first"
  "$ROOT/hack/cluster.sh" status || die "the local control plane is down: run 'make cluster-up' first"
  local kubeconfig
  kubeconfig=$("$ROOT/hack/cluster.sh" kubeconfig)
  if running; then
    say "already running (pid $(cat "$PID_FILE")); log: $LOG"
    return 0
  fi
  mkdir -p "$STATE"
  say "starting the process node '$NODE' (log: $LOG)"
  setsid "$MODELPLANE" dev-node run --kubeconfig "$kubeconfig" --node-name "$NODE" --state-dir "$STATE" \
    >>"$LOG" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  local i
  for ((i = 0; i < 60; i++)); do
    sleep 1
    if ! running; then
      tail -n 20 "$LOG" >&2
      die "the process node exited; its log is above"
    fi
    if "$KUBECTL" --kubeconfig "$kubeconfig" wait --for=condition=Ready "node/$NODE" --timeout=1s >/dev/null 2>&1 \
       && "$KUBECTL" --kubeconfig "$kubeconfig" get mutatingwebhookconfiguration modelplane-process-node >/dev/null 2>&1; then
      say "node $NODE is Ready (pid $(cat "$PID_FILE")); pods of modelplane/* images now run here as processes"
      return 0
    fi
  done
  tail -n 20 "$LOG" >&2
  die "the node did not become Ready in 60 s; its log is above"
}

down() {
  if ! running; then
    rm -f "$PID_FILE"
    say "not running"
    return 0
  fi
  local pid i
  pid=$(cat "$PID_FILE")
  say "stopping the process node (pid $pid); its pods' processes stop first"
  kill -TERM "$pid"
  for ((i = 0; i < 90; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "still running after 90 s; killing it"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE"
  say "stopped"
}

case ${1:-} in
  up) up ;;
  down) down ;;
  status) running ;;
  logs) cat "$LOG" ;;
  *) echo "usage: hack/local-node.sh up|down|status|logs" >&2; exit 2 ;;
esac
