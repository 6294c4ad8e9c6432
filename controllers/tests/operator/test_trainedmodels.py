"""TrainedModel journeys against the local control plane, with the operator running as a process.

Covers: a TrainedModel whose parent InferenceService does not exist reports `InferenceServiceNotFound`; one whose
memory does not fit the parent's multi-model runtime reports `MemoryResourceUnavailable` with the numbers, and
nothing is loaded. And a successful load through real model servers: a namespaced multi-model ServingRuntime of
Modelplane's runtime image (run as local processes by the process node), a RawDeployment InferenceService on it with
two replicas and an empty model repository, then a TrainedModel fetched from a `file://` storage URI: every
replica's pod IP answers `GET /v2/models/<tm>/ready`, `ModelLoaded` says 2 of 2; a replacement pod gets the model
too once its endpoint is ready; deleting the TrainedModel unloads it from every replica.
"""

from __future__ import annotations

import json
import pathlib
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import joblib
import pytest
from sklearn import linear_model

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


def _model_ready(address: str, model: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://{address}/v2/models/{model}/ready", timeout=3) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _ready_pod_ips(kube: Any, namespace: str) -> list[str]:
    pods = kube.list("pods", namespace=namespace, selector="app=isvc.mms-predictor")
    return sorted(
        p["status"]["podIP"]
        for p in pods
        if p["status"].get("podIP")
        and not p["metadata"].get("deletionTimestamp")
        and any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions") or [])
    )


def test_trained_model_is_loaded_into_every_replica_and_unloaded(
    unwatched_namespace: str,
    start_operator: Callable[..., Any],
    kube: Any,
    tmp_path: pathlib.Path,
    process_node: pathlib.Path,  # the runtime's pods must really run, not sit on a kwok node
) -> None:
    namespace = unwatched_namespace
    model = linear_model.LogisticRegression().fit([[0.0, 0.0], [1.0, 1.0]], [0, 1])
    (tmp_path / "iris").mkdir()
    joblib.dump(model, tmp_path / "iris" / "model.joblib")
    config = {"ingress": json.dumps({"routing": "ingress"})}  # the routing a shared cluster's controller may use
    configmap = {"apiVersion": "v1", "kind": "ConfigMap", "data": config}
    configmap["metadata"] = {"name": "inferenceservice-config", "namespace": namespace}
    assert kube.apply(json.dumps(configmap)).returncode == 0
    runtime = {
        "apiVersion": "serving.kserve.io/v1alpha1",
        "kind": "ServingRuntime",
        "metadata": {"name": "mms", "namespace": namespace},
        "spec": {
            "multiModel": True,
            "supportedModelFormats": [{"name": "sklearn", "version": "1", "autoSelect": False}],
            "protocolVersions": ["v1", "v2"],
            "containers": [
                {
                    "name": "kserve-container",
                    "image": "modelplane/runtime:0.1.0",
                    "args": [
                        "--model_name={{.Name}}",
                        "--model_dir=/mnt/models",
                        "--http_host=0.0.0.0",
                        "--http_port=8080",
                        "--grpc_port=8081",
                    ],
                    "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                    "readinessProbe": {"httpGet": {"path": "/v2/health/ready", "port": 8080}, "periodSeconds": 1},
                    "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}},
                }
            ],
        },
    }
    assert kube.apply(json.dumps(runtime)).returncode == 0
    parent = {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {
            "name": "mms",
            "namespace": namespace,
            "annotations": {
                "serving.kserve.io/deploymentMode": "RawDeployment",
                "serving.kserve.io/autoscalerClass": "none",
            },
        },
        "spec": {
            "predictor": {
                "minReplicas": 2,
                # As KServe's multi-model InferenceServices: no storageUri of its own, an empty model repository
                # the server fills with TrainedModels.
                "volumes": [{"name": "models", "emptyDir": {}}],
                "model": {
                    "modelFormat": {"name": "sklearn", "version": "1"},
                    "runtime": "mms",
                    "protocolVersion": "v2",
                    "volumeMounts": [{"name": "models", "mountPath": "/mnt/models"}],
                },
            }
        },
    }
    operator = start_operator("op-tm", "--namespace", namespace, "--controller-namespace", namespace)
    operator.wait_healthy()
    assert kube.apply(json.dumps(parent)).returncode == 0
    kube.wait_for(
        "the parent to be Ready",
        lambda: kube.condition(kube.get("inferenceservice", "mms", namespace=namespace), "Ready") == "True",
        timeout=120,
    )
    ips = kube.wait_for(
        "two ready predictor pods",
        lambda: (lambda i: i if len(i) == 2 else None)(_ready_pod_ips(kube, namespace)),
        timeout=120,
    )
    assert not any(_model_ready(f"{ip}:8080", "iris") for ip in ips)

    tm = {
        "apiVersion": "serving.kserve.io/v1alpha1",
        "kind": "TrainedModel",
        "metadata": {"name": "iris", "namespace": namespace},
        "spec": {
            "inferenceService": "mms",
            "model": {"framework": "sklearn", "storageUri": (tmp_path / "iris").as_uri(), "memory": "64Mi"},
        },
    }
    assert kube.apply(json.dumps(tm)).returncode == 0
    loaded = kube.wait_for(
        "the TrainedModel to be Ready",
        lambda: (lambda o: o if kube.condition(o, "Ready") == "True" else None)(
            kube.get("trainedmodel", "iris", namespace=namespace)
        ),
        timeout=120,
    )
    condition = next(c for c in loaded["status"]["conditions"] if c["type"] == "ModelLoaded")
    assert condition["message"] == "loaded into 2 of 2 replicas of mms-predictor"
    assert all(_model_ready(f"{ip}:8080", "iris") for ip in ips)

    replaced = kube.list("pods", namespace=namespace, selector="app=isvc.mms-predictor")[0]["metadata"]["name"]
    assert kube.delete("pod", replaced, namespace=namespace).returncode == 0
    kube.wait_for(
        "the replacement pod to get the model",
        lambda: (lambda i: len(i) == 2 and i != ips and all(_model_ready(f"{ip}:8080", "iris") for ip in i))(
            _ready_pod_ips(kube, namespace)
        ),
        timeout=120,
    )

    current = _ready_pod_ips(kube, namespace)
    assert kube.delete("trainedmodel", "iris", namespace=namespace).returncode == 0
    kube.wait_for(
        "the model to be unloaded from every replica",
        lambda: not any(_model_ready(f"{ip}:8080", "iris") for ip in current),
        timeout=60,
    )
    assert set(_ready_pod_ips(kube, namespace)) == set(current), "unloading took a replica out"
