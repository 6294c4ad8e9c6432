"""Tests for modelplane.api.rbac: the controller's ClusterRole is least privilege with explicit verbs.

Covers: no wildcards anywhere; what the operator owns it may create (first apply), patch (apply) and delete
(prune), never get one by one or replace; the serving.kserve.io kinds are only watched, with status patched; a
Secret is read by name only (never listed or watched), the ConfigMap likewise, Pods not at all, ServiceAccounts and
predictor EndpointSlices watched; Events only created; the Lease read, created and renewed; CRDs and namespaces
watched; no webhook registration and no kopf peering; stable ordering; the full ClusterRole's name. A `cluster`
test binds the role to a ServiceAccount on the local API server and asks the authorizer what it may and may not do.
"""

from __future__ import annotations

import json
import pathlib
import subprocess

import pytest
from modelplane.api import rbac


def verbs_for(group: str, resource: str) -> set[str]:
    found: set[str] = set()
    for rule in rbac.controller_rules():
        if group in rule["apiGroups"] and resource in rule["resources"]:
            found |= set(rule["verbs"])
    return found


def test_no_wildcards() -> None:
    for rule in rbac.controller_rules():
        for key in ("apiGroups", "resources", "verbs"):
            assert "*" not in rule[key], rule


@pytest.mark.parametrize(
    ("group", "resource", "expected"),
    [
        pytest.param("serving.kserve.io", "inferenceservices", {"list", "watch"}, id="isvc"),
        pytest.param("serving.kserve.io", "inferenceservices/status", {"patch"}, id="isvc-status"),
        pytest.param("serving.kserve.io", "inferenceservices/finalizers", {"update"}, id="isvc-finalizers"),
        pytest.param("serving.kserve.io", "trainedmodels", {"list", "watch"}, id="tm"),
        pytest.param("serving.kserve.io", "trainedmodels/status", {"patch"}, id="tm-status"),
        pytest.param("serving.kserve.io", "trainedmodels/finalizers", set(), id="no-tm-finalizers"),
        pytest.param("serving.kserve.io", "clusterservingruntimes", {"list", "watch"}, id="csr"),
        pytest.param("serving.kserve.io", "clusterservingruntimes/status", set(), id="no-csr-status"),
        pytest.param("serving.knative.dev", "services", set(rbac.OWN), id="knative-services"),
        pytest.param("networking.istio.io", "virtualservices", set(rbac.OWN), id="virtualservices"),
        pytest.param("apps", "deployments", set(rbac.OWN), id="deployments"),
        pytest.param("", "services", set(rbac.OWN), id="services"),
        pytest.param("autoscaling", "horizontalpodautoscalers", set(rbac.OWN), id="hpas"),
        pytest.param("networking.k8s.io", "ingresses", set(rbac.OWN), id="ingresses"),
        pytest.param("gateway.networking.k8s.io", "httproutes", set(rbac.OWN), id="httproutes"),
        pytest.param("", "configmaps", {"get"}, id="configmap-by-name"),
        pytest.param("", "secrets", {"get"}, id="secret-by-name-only"),
        pytest.param("", "serviceaccounts", {"list", "watch"}, id="serviceaccounts-watched"),
        pytest.param("", "pods", set(), id="no-pods"),
        pytest.param("discovery.k8s.io", "endpointslices", {"list", "watch"}, id="endpointslices-watched"),
        pytest.param("", "events", {"create"}, id="events"),
        pytest.param("events.k8s.io", "events", set(), id="no-events-k8s-io"),
        pytest.param("coordination.k8s.io", "leases", {"create", "get", "update"}, id="leases"),
        pytest.param("admissionregistration.k8s.io", "validatingwebhookconfigurations", set(), id="no-webhooks"),
        pytest.param("kopf.dev", "clusterkopfpeerings", set(), id="no-kopf-peering"),
        pytest.param("apiextensions.k8s.io", "customresourcedefinitions", {"list", "watch"}, id="crds-watched"),
        pytest.param("", "namespaces", {"list", "watch"}, id="namespaces-watched"),
        pytest.param("", "nodes", set(), id="no-nodes"),
        pytest.param("rbac.authorization.k8s.io", "clusterroles", set(), id="no-rbac-escalation"),
        pytest.param("", "persistentvolumeclaims", set(), id="no-pvcs"),
    ],
)
def test_rule_verbs(group: str, resource: str, expected: set[str]) -> None:
    assert verbs_for(group, resource) == expected


def test_rules_are_sorted_and_each_rule_sorted() -> None:
    rules = rbac.controller_rules()
    assert rules == sorted(rules, key=lambda rule: (rule["apiGroups"], rule["resources"]))
    for rule in rules:
        assert rule["resources"] == sorted(rule["resources"])
        assert rule["verbs"] == sorted(rule["verbs"])


def test_cluster_role_wraps_the_rules() -> None:
    role = rbac.controller_cluster_role()
    assert role["kind"] == "ClusterRole"
    assert role["metadata"]["name"] == "modelplane-controller"
    assert role["rules"] == rbac.controller_rules()


# --- against the local control plane -------------------------------------------------------------------------------

ROOT = pathlib.Path(__file__).resolve().parents[3]
ACCOUNT = "system:serviceaccount:modelplane-rbac-test:controller"


@pytest.mark.cluster
def test_the_api_server_grants_exactly_what_the_rules_say(kube_cluster: pathlib.Path) -> None:
    """The ClusterRole applies, and a ServiceAccount bound to it may do what the operator does, and no more."""
    kubectl = [str(ROOT / "bin" / "kubectl"), "--kubeconfig", str(kube_cluster)]
    role = rbac.controller_cluster_role()
    role["metadata"]["name"] = "modelplane-controller-rbac-test"
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "modelplane-controller-rbac-test"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role["metadata"]["name"]},
        "subjects": [{"kind": "ServiceAccount", "name": "controller", "namespace": "modelplane-rbac-test"}],
    }
    for manifest in (role, binding):
        applied = subprocess.run(
            [*kubectl, "apply", "--server-side", "--field-manager=modelplane-tests", "--force-conflicts", "-f", "-"],
            input=json.dumps(manifest),
            text=True,
            capture_output=True,
            check=False,
        )
        assert applied.returncode == 0, applied.stderr

    def can(verb: str, resource: str) -> bool:
        """Ask the authorizer directly (a SubjectAccessReview), so kinds without an installed CRD work too."""
        plural, _, group = resource.partition(".")
        plural, _, subresource = plural.partition("/")
        if "/" in group:
            group, subresource = group.split("/", 1)
        review = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": {
                "user": ACCOUNT,
                "groups": ["system:serviceaccounts", "system:authenticated"],
                "resourceAttributes": {
                    "namespace": "default",
                    "verb": verb,
                    "group": group,
                    "resource": plural,
                    "subresource": subresource,
                },
            },
        }
        answer = subprocess.run(
            [*kubectl, "create", "-o", "json", "-f", "-"],
            input=json.dumps(review),
            text=True,
            capture_output=True,
            check=True,
        )
        return bool(json.loads(answer.stdout)["status"].get("allowed"))

    try:
        allowed = [
            ("watch", "inferenceservices.serving.kserve.io"),
            ("patch", "inferenceservices.serving.kserve.io/status"),
            ("update", "inferenceservices.serving.kserve.io/finalizers"),
            ("create", "services.serving.knative.dev"),
            ("delete", "virtualservices.networking.istio.io"),
            ("patch", "deployments.apps"),
            ("watch", "horizontalpodautoscalers.autoscaling"),
            ("create", "httproutes.gateway.networking.k8s.io"),
            ("watch", "endpointslices.discovery.k8s.io"),
            ("get", "secrets"),
            ("create", "events"),
            ("update", "leases.coordination.k8s.io"),
            ("list", "customresourcedefinitions.apiextensions.k8s.io"),
        ]
        denied = [
            ("patch", "inferenceservices.serving.kserve.io"),
            ("create", "inferenceservices.serving.kserve.io"),
            ("delete", "inferenceservices.serving.kserve.io"),
            ("list", "secrets"),
            ("watch", "secrets"),
            ("create", "secrets"),
            ("get", "pods"),
            ("update", "deployments.apps"),
            ("delete", "configmaps"),
            ("create", "validatingwebhookconfigurations.admissionregistration.k8s.io"),
            ("create", "clusterroles.rbac.authorization.k8s.io"),
            ("delete", "customresourcedefinitions.apiextensions.k8s.io"),
            ("get", "nodes"),
        ]
        assert [check for check in allowed if not can(*check)] == []
        assert [check for check in denied if can(*check)] == []
    finally:
        for kind in ("clusterrolebinding", "clusterrole"):
            subprocess.run(
                [*kubectl, "delete", kind, "modelplane-controller-rbac-test", "--ignore-not-found"],
                capture_output=True,
                check=False,
            )
