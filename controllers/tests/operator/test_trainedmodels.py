"""TrainedModel journeys against the local control plane, with the operator running as a process.

Covers: a TrainedModel whose parent InferenceService does not exist reports `InferenceServiceNotFound`; one whose
memory does not fit the parent's multi-model runtime reports `MemoryResourceUnavailable` with the numbers, and
nothing is loaded. (A successful load needs the predictor's pod to answer on the cluster network, which kwok's
simulated pods do not; the load request itself is tested against the real model server in test_loading.py.)
"""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.cluster

MMS_RUNTIME = {
    "apiVersion": "serving.kserve.io/v1alpha1",
    "kind": "ClusterServingRuntime",
    "metadata": {"name": "e2e-mms"},
    "spec": {
        "multiModel": True,
        "supportedModelFormats": [{"name": "xgboost", "version": "1"}],
        "protocolVersions": ["v2"],
        "containers": [
            {"name": "kserve-container", "image": "seldonio/mlserver:1.7.1", "resources": {"limits": {"memory": "1Gi"}}}
        ],
    },
}


def _trained_model(name: str, *, parent: str, memory: str, namespace: str) -> str:
    return json.dumps(
        {
            "apiVersion": "serving.kserve.io/v1alpha1",
            "kind": "TrainedModel",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {
                "inferenceService": parent,
                "model": {"framework": "xgboost", "storageUri": f"gs://models/{name}", "memory": memory},
            },
        }
    )


def _condition(kube: Any, name: str, namespace: str, type_: str) -> dict[str, Any] | None:
    obj = kube.get("trainedmodel", name, namespace=namespace) or {}
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if condition.get("type") == type_ and condition.get("status") == "False":
            return dict(condition)
    return None


def test_missing_parent_is_reported(namespace: str, kube: Any) -> None:
    assert kube.apply(_trained_model("orphan", parent="nobody", memory="128Mi", namespace=namespace)).returncode == 0
    condition = kube.wait_for(
        "InferenceServiceReady=False", lambda: _condition(kube, "orphan", namespace, "InferenceServiceReady")
    )
    assert condition["reason"] == "InferenceServiceNotFound"


def test_model_that_does_not_fit_is_refused(namespace: str, kube: Any) -> None:
    assert kube.apply(json.dumps(MMS_RUNTIME)).returncode == 0
    parent = {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {
            "name": "mms",
            "namespace": namespace,
            "annotations": {"serving.kserve.io/deploymentMode": "RawDeployment"},
        },
        "spec": {
            "predictor": {
                "model": {
                    "modelFormat": {"name": "xgboost", "version": "1"},
                    "runtime": "e2e-mms",
                    "protocolVersion": "v2",
                    "storageUri": "gs://models/base",
                }
            }
        },
    }
    assert kube.apply(json.dumps(parent)).returncode == 0
    kube.wait_for(
        "the parent to be Ready",
        lambda: kube.condition(kube.get("inferenceservice", "mms", namespace=namespace), "Ready") == "True",
    )
    assert kube.apply(_trained_model("huge", parent="mms", memory="2Gi", namespace=namespace)).returncode == 0
    condition = kube.wait_for(
        "MemoryResourceAvailable=False", lambda: _condition(kube, "huge", namespace, "MemoryResourceAvailable")
    )
    assert condition["reason"] == "MemoryResourceUnavailable"
    assert "has 1024 MiB" in condition["message"]
