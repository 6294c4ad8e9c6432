#!/usr/bin/env bash
# Prepares the local control plane for the e2e suite's local profile, on top of what `make demo` sets up:
# the Knative Service and Istio VirtualService CRDs the tests own (controllers/tests/fixtures/crds/; the local
# control plane has no Knative or Istio, but Serverless-mode objects must still be accepted and reconciled), then
# the platform chart (hack/local-platform.sh up). The controller looks for those child APIs when it starts, so it
# is restarted when the CRDs arrived after it did. Idempotent.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KUBECTL=$ROOT/bin/kubectl
NAMESPACE=modelplane-system

say() { printf '[e2e %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

config=$("$ROOT/hack/cluster.sh" kubeconfig)
k() { "$KUBECTL" --kubeconfig "$config" "$@"; }

missing=0
for crd in services.serving.knative.dev virtualservices.networking.istio.io; do
  k get crd "$crd" >/dev/null 2>&1 || missing=1
done
if [ "$missing" -eq 1 ]; then
  say "installing the test schemas of Knative Service and Istio VirtualService"
  k apply --server-side --force-conflicts -f "$ROOT/controllers/tests/fixtures/crds" >/dev/null
  k wait --for=condition=Established --timeout=60s -f "$ROOT/controllers/tests/fixtures/crds" >/dev/null
fi
"$ROOT/hack/local-platform.sh" up
if [ "$missing" -eq 1 ] && k -n "$NAMESPACE" get deployment -l app.kubernetes.io/component=controller -o name | grep -q .; then
  say "restarting the controller so it watches the new child APIs"
  k -n "$NAMESPACE" rollout restart deployment -l app.kubernetes.io/component=controller >/dev/null
  k -n "$NAMESPACE" rollout status deployment -l app.kubernetes.io/component=controller --timeout=180s >/dev/null
fi
say "ready for the e2e suite"
