"""The controller's ClusterRole rules: least privilege, explicit verbs, one rule per API group and access level.

What the operator does decides each rule: it reads and patches the `serving.kserve.io` kinds (status and
finalizers too), creates and deletes the children it owns (Knative Services, Istio VirtualServices, Deployments,
Services, HPAs, Ingresses, HTTPRoutes), only reads configuration, Secrets, ServiceAccounts and Pods, records
Events, holds a Lease for leader election, registers its own validating webhook, and lets kopf discover CRDs and
peers.
"""

from __future__ import annotations

from typing import Any

# Verbs by access level.
READ = ["get", "list", "watch"]
OWN = ["create", "delete", "get", "list", "patch", "update", "watch"]
READ_PATCH = ["get", "list", "patch", "update", "watch"]

CLUSTER_ROLE_NAME = "modelplane-controller"


def _rule(groups: list[str], resources: list[str], verbs: list[str]) -> dict[str, Any]:
    return {"apiGroups": groups, "resources": sorted(resources), "verbs": sorted(verbs)}


def controller_rules() -> list[dict[str, Any]]:
    """The controller's rules, sorted by API group then resources so the output is stable."""
    kserve = ["clusterservingruntimes", "inferenceservices", "servingruntimes", "trainedmodels"]
    rules = [
        _rule(["serving.kserve.io"], kserve, READ_PATCH),
        _rule(["serving.kserve.io"], [f"{kind}/status" for kind in kserve], ["get", "patch", "update"]),
        # Owner references with blockOwnerDeletion need `update` on the owner's finalizers.
        _rule(["serving.kserve.io"], ["inferenceservices/finalizers", "trainedmodels/finalizers"], ["update"]),
        _rule(["serving.knative.dev"], ["services"], OWN),
        _rule(["networking.istio.io"], ["virtualservices"], OWN),
        _rule(["apps"], ["deployments"], OWN),
        _rule([""], ["services"], OWN),
        _rule([""], ["configmaps", "pods", "secrets", "serviceaccounts"], READ),
        _rule([""], ["namespaces"], READ),
        _rule([""], ["events"], ["create", "patch"]),
        _rule(["events.k8s.io"], ["events"], ["create", "patch"]),
        _rule(["autoscaling"], ["horizontalpodautoscalers"], OWN),
        _rule(["networking.k8s.io"], ["ingresses"], OWN),
        _rule(["gateway.networking.k8s.io"], ["httproutes"], OWN),
        _rule(["coordination.k8s.io"], ["leases"], ["create", "get", "list", "patch", "update", "watch"]),
        _rule(
            ["admissionregistration.k8s.io"],
            ["validatingwebhookconfigurations"],
            ["create", "get", "list", "patch", "update", "watch"],
        ),
        _rule(["apiextensions.k8s.io"], ["customresourcedefinitions"], READ),
        _rule(["kopf.dev"], ["clusterkopfpeerings", "kopfpeerings"], ["get", "list", "patch", "watch"]),
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
