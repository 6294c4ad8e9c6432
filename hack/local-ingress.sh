#!/usr/bin/env bash
# Runs the local ingress (`modelplane dev-ingress run`: nginx on 127.0.0.1, configured from the cluster's
# Ingress, HTTPRoute and VirtualService objects) in the background against the local control plane.
# Its pid file, log and nginx files live in .cluster/ingress/. nginx itself comes from hack/install-nginx.sh.
#
# Usage: hack/local-ingress.sh up|down|status|logs|url
#   up      start it, or keep the running one (idempotent); waits until nginx answers
#   down    stop it (nginx finishes open requests first)
#   status  exit 0 when it runs
#   logs    print its log
#   url     print the address to send requests to (with a Host header naming the route)
# The port is 8088 unless MODELPLANE_INGRESS_PORT says otherwise.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE=$ROOT/.cluster/ingress
PID_FILE=$STATE/ingress.pid
LOG=$STATE/ingress.log
PORT=${MODELPLANE_INGRESS_PORT:-8088}
MODELPLANE=$ROOT/.venv/bin/modelplane

say() { printf '[local-ingress %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf 'local-ingress: %s\n' "$*" >&2; exit 1; }

running() {
  [ -f "$PID_FILE" ] || return 1
  local pid
  pid=$(cat "$PID_FILE")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q "dev-ingress" "/proc/$pid/cmdline" 2>/dev/null
}

up() {
  [ -x "$MODELPLANE" ] || die ".venv/bin/modelplane is missing: run 'make venv' first"
  "$ROOT/hack/cluster.sh" status || die "the local control plane is down: run 'make cluster-up' first"
  [ -x "$ROOT/bin/nginx" ] || "$ROOT/hack/install-nginx.sh"
  if running; then
    say "already running (pid $(cat "$PID_FILE")) at http://127.0.0.1:$PORT"
    return 0
  fi
  mkdir -p "$STATE"
  say "starting nginx on 127.0.0.1:$PORT (log: $LOG)"
  setsid "$MODELPLANE" dev-ingress run --kubeconfig "$("$ROOT/hack/cluster.sh" kubeconfig)" --port "$PORT" \
    --state-dir "$STATE" --nginx "$ROOT/bin/nginx" >>"$LOG" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  local i
  for ((i = 0; i < 30; i++)); do
    sleep 1
    if ! running; then
      tail -n 20 "$LOG" >&2
      die "the local ingress exited; its log is above"
    fi
    if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then
      say "routing at http://127.0.0.1:$PORT (pick a route with the Host header)"
      return 0
    fi
  done
  tail -n 20 "$LOG" >&2
  die "nginx did not answer on 127.0.0.1:$PORT in 30 s; its log is above"
}

down() {
  if ! running; then
    rm -f "$PID_FILE"
    say "not running"
    return 0
  fi
  local pid i
  pid=$(cat "$PID_FILE")
  kill -TERM "$pid"
  for ((i = 0; i < 20; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$PID_FILE"
  say "stopped"
}

case ${1:-} in
  up) up ;;
  down) down ;;
  status) running ;;
  logs) cat "$LOG" ;;
  url) echo "http://127.0.0.1:$PORT" ;;
  *) echo "usage: hack/local-ingress.sh up|down|status|logs|url" >&2; exit 2 ;;
esac
