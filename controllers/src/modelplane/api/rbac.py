"""The controller's ClusterRole rules: least privilege, explicit verbs, one rule per API group and access level.

What the code does decides each rule, and nothing is granted for what it does not do:
- the `serving.kserve.io` kinds are only watched (kopf's caches; no kopf progress is written onto them), with a
  merge patch of the `status` of InferenceServices and TrainedModels, and `update` on
  `inferenceservices/finalizers`, which the API server requires for children whose owner reference blocks the
  owner's deletion;
- the children it owns (Knative Services, Istio VirtualServices, Deployments, Services, HPAs, Ingresses, HTTPRoutes)
  are watched, server-side applied (`patch`, plus `create` for the first apply) and pruned (`delete`); they are
  never read one by one (`get`) nor replaced (`update`);
- predictor EndpointSlices are watched to find the replicas TrainedModels are loaded into;
- ServiceAccounts are watched (the storage credentials they list); a Secret is read only by name (`get`), never
  listed or watched, so the operator holds no cluster-wide copy of every Secret; the one ConfigMap is read by name
  at start; Pods are not read at all;
- Events are created; the leader-election Lease is read, created and renewed (`update`); CRDs and namespaces are
  watched by kopf to find its resources and the namespaces a `--namespace` pattern matches.
`--register-webhook` (local runs only, with the developer's own credentials) also writes webhook configurations;
no deployed controller does, so that cluster-wide power is not granted here.
"""

from __future__ import annotations

from typing import Any

# Verbs by access level.
READ = ["get", "list", "watch"]
WATCH = ["list", "watch"]
OWN = ["create", "delete", "list", "patch", "watch"]

CLUSTER_ROLE_NAME = "modelplane-controller"


def _rule(groups: list[str], resources: list[str], verbs: list[str]) -> dict[str, Any]:
    return {"apiGroups": groups, "resources": sorted(resources), "verbs": sorted(verbs)}


def controller_rules() -> list[dict[str, Any]]:
    """The controller's rules, sorted by API group then resources so the output is stable."""
    kserve = ["clusterservingruntimes", "inferenceservices", "servingruntimes", "trainedmodels"]
    rules = [
        _rule(["serving.kserve.io"], kserve, WATCH),
        _rule(["serving.kserve.io"], ["inferenceservices/status", "trainedmodels/status"], ["patch"]),
        _rule(["serving.kserve.io"], ["inferenceservices/finalizers"], ["update"]),
        _rule(["serving.knative.dev"], ["services"], OWN),
        _rule(["networking.istio.io"], ["virtualservices"], OWN),
        _rule(["apps"], ["deployments"], OWN),
        _rule([""], ["services"], OWN),
        _rule([""], ["serviceaccounts"], WATCH),
        _rule([""], ["configmaps", "secrets"], ["get"]),
        _rule([""], ["namespaces"], WATCH),
        _rule([""], ["events"], ["create"]),
        _rule(["autoscaling"], ["horizontalpodautoscalers"], OWN),
        _rule(["networking.k8s.io"], ["ingresses"], OWN),
        _rule(["gateway.networking.k8s.io"], ["httproutes"], OWN),
        _rule(["discovery.k8s.io"], ["endpointslices"], WATCH),
        _rule(["coordination.k8s.io"], ["leases"], ["create", "get", "update"]),
        _rule(["apiextensions.k8s.io"], ["customresourcedefinitions"], WATCH),
    ]
    return sorted(rules, key=lambda rule: (rule["apiGroups"], rule["resources"]))


def controller_cluster_role() -> dict[str, Any]:
    """The full ClusterRole `modelplane-controller` with the controller's rules."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {
            "name": CLUSTER_ROLE_NAME,
            "labels": {"app.kubernetes.io/name": "modelplane", "app.kubernetes.io/component": "controller"},
        },
        "rules": controller_rules(),
    }
