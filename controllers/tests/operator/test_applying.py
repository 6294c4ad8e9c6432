"""Tests of the apply layer: the content hash that lets an unchanged child skip its write, and the status merge
patch (only changed fields, removed fields set to null, nothing when equal). Against the local control plane
(marker `cluster`, an operator of the test's own): a deleted child Service comes back, an edited VirtualService is
put back, each with a `Repaired` event, and an unchanged InferenceService costs no write.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from modelplane.operator import applying

CHILD = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "iris-predictor", "namespace": "m"},
    "spec": {"ports": []},
}


def test_hash_is_stable_and_follows_content() -> None:
    first = applying.stamped(CHILD)
    again = applying.stamped(CHILD)
    changed = applying.stamped({**CHILD, "spec": {"ports": [{"port": 80}]}})
    digest = first["metadata"]["annotations"][applying.HASH_ANNOTATION]
    assert again["metadata"]["annotations"][applying.HASH_ANNOTATION] == digest
    assert changed["metadata"]["annotations"][applying.HASH_ANNOTATION] != digest
    assert "annotations" not in CHILD["metadata"], "the desired manifest itself is not modified"


def test_status_patch_holds_only_changes() -> None:
    old = {"url": "http://a", "conditions": [{"type": "Ready", "status": "False"}], "kopf": {"progress": {}}}
    new = {"conditions": [{"type": "Ready", "status": "True"}]}
    assert applying.status_patch(old=old, new=new) == {"url": None, "conditions": new["conditions"]}


def test_equal_status_needs_no_patch() -> None:
    status = {"url": "http://a", "observedGeneration": 2}
    assert applying.status_patch(old=dict(status), new=status) is None


def _configmap(namespace: str) -> str:
    # The routing other controllers on a shared cluster may use; one config, so no two controllers disagree.
    data = {"ingress": json.dumps({"routing": "ingress"})}
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "inferenceservice-config", "namespace": namespace},
            "data": data,
        }
    )


def _isvc(name: str, namespace: str, mode: str) -> str:
    return json.dumps(
        {
            "apiVersion": "serving.kserve.io/v1beta1",
            "kind": "InferenceService",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "annotations": {"serving.kserve.io/deploymentMode": mode},
            },
            "spec": {"predictor": {"tensorflow": {"storageUri": f"gs://models/{name}"}}},
        }
    )


def _repaired(kube: Any, namespace: str, kind: str, name: str) -> bool:
    wanted = f"restored {kind} {name}"
    return any(str(e.get("message", "")).startswith(wanted) for e in kube.list("events", namespace=namespace))


@pytest.mark.cluster
def test_deleted_and_edited_children_are_put_back(
    unwatched_namespace: str, start_operator: Callable[..., Any], kube: Any
) -> None:
    namespace = unwatched_namespace
    assert kube.apply(_configmap(namespace)).returncode == 0
    operator = start_operator("op-drift", "--namespace", namespace, "--controller-namespace", namespace)
    operator.wait_healthy()
    assert kube.apply(_isvc("raw", namespace, "RawDeployment")).returncode == 0
    assert kube.apply(_isvc("knative", namespace, "Serverless")).returncode == 0
    service = kube.wait_for("the Service", lambda: kube.get("service", "raw-predictor", namespace=namespace))
    vs_kind = "virtualservices.v1beta1.networking.istio.io"
    original = kube.wait_for("the VirtualService", lambda: kube.get(vs_kind, "knative", namespace=namespace))

    assert kube.delete("service", "raw-predictor", namespace=namespace).returncode == 0
    back = kube.wait_for(
        "the Service to come back",
        lambda: (lambda s: s if s and s["metadata"]["uid"] != service["metadata"]["uid"] else None)(
            kube.get("service", "raw-predictor", namespace=namespace)
        ),
    )
    assert back["spec"]["selector"] == service["spec"]["selector"]
    kube.wait_for("a Repaired event for the Service", lambda: _repaired(kube, namespace, "Service", "raw-predictor"))

    edited = json.loads(json.dumps(original))
    edited["spec"]["http"] = [{"route": [{"destination": {"host": "elsewhere.example.com"}}]}]
    for key in ("resourceVersion", "managedFields", "uid", "creationTimestamp", "generation"):
        edited["metadata"].pop(key, None)
    assert kube.apply(json.dumps(edited)).returncode == 0  # a client-side apply, as a person editing it would
    restored = kube.wait_for(
        "the VirtualService to be put back",
        lambda: (lambda v: v if v and v["spec"]["http"] == original["spec"]["http"] else None)(
            kube.get(vs_kind, "knative", namespace=namespace)
        ),
    )
    assert restored["spec"]["hosts"] == original["spec"]["hosts"]
    kube.wait_for(
        "a Repaired event for the VirtualService", lambda: _repaired(kube, namespace, "VirtualService", "knative")
    )
