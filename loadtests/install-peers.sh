#!/usr/bin/env bash
# Installs MLServer 1.7.1 (with its scikit-learn runtime) into its own virtualenv, .work/peers/mlserver, for the
# fixed-batcher configurations of the batching benchmark: MLServer's batcher waits for max_batch_size requests or
# max_batch_time, as KServe's batcher sidecar does. uvloop is held at 0.21.0 (0.23 crashes MLServer's inference
# worker). Idempotent: an existing, working install is kept.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
venv=.work/peers/mlserver
if [ -x "$venv/bin/mlserver" ] && "$venv/bin/python" -c 'import mlserver_sklearn' 2>/dev/null; then
  echo "[peers] MLServer already installed in $venv"
  exit 0
fi
echo "[peers] installing MLServer 1.7.1 into $venv"
mkdir -p .work/peers
"${PYTHON:-python3.11}" -m venv "$venv"
"$venv/bin/pip" install --quiet 'mlserver==1.7.1' 'mlserver-sklearn==1.7.1' 'uvloop==0.21.0'
echo "[peers] done: $venv/bin/mlserver"
