"""Raw-mode journeys against the local control plane, with the operator running as a process.

Covers: a RawDeployment InferenceService gets its Deployment, Service, HPA and VirtualService; the Deployment's pod
is scheduled onto a kwok node and the InferenceService turns Ready, with every child and its status owned by the one
field manager `modelplane`, and its reconciles and admission counted in the operator's /metrics; a canary (new
storage URI, 10%) adds the `-predictor-canary` Deployment with a 90/10 weighted route, and promotion (the field
removed) drops it again; deleting the InferenceService garbage-collects the Deployment, Service, HPA and route.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.cluster

VS = "virtualservices.v1beta1.networking.istio.io"


def _manifest(name: str, namespace: str, *, storage_uri: str, canary: int | None = None) -> str:
    # A third-party runtime image: pods of Modelplane's own images may be steered to a local process node.
    predictor: dict[str, Any] = {
        "tensorflow": {"storageUri": storage_uri},
        "minReplicas": 1,
        "maxReplicas": 3,
    }
    if canary is not None:
        predictor["canaryTrafficPercent"] = canary
    return json.dumps(
        {
            "apiVersion": "serving.kserve.io/v1beta1",
            "kind": "InferenceService",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "annotations": {"serving.kserve.io/deploymentMode": "RawDeployment"},
            },
            "spec": {"predictor": predictor},
        }
    )


def _ready(kube: Any, name: str, namespace: str) -> dict[str, Any] | None:
    obj = kube.get("inferenceservice", name, namespace=namespace)
    return obj if kube.condition(obj, "Ready") == "True" else None


def _weights(kube: Any, name: str, namespace: str) -> dict[str, int]:
    vs = kube.get(VS, name, namespace=namespace) or {"spec": {"http": [{"route": []}]}}
    return {r["destination"]["host"].split(".")[0]: r.get("weight", 100) for r in vs["spec"]["http"][0]["route"]}


def test_raw_isvc_pods_land_on_kwok_nodes_and_it_turns_ready(namespace: str, kube: Any, main_operator: Any) -> None:
    assert kube.apply(_manifest("iris", namespace, storage_uri="gs://models/iris/v1")).returncode == 0
    for kind, name in (
        ("deployment", "iris-predictor"),
        ("service", "iris-predictor"),
        ("hpa", "iris-predictor"),
        (VS, "iris"),
    ):
        kube.wait_for(
            f"{kind} {name}",
            lambda kind=kind, name=name: kube.get(kind, name, namespace=namespace),
        )
    pods = kube.wait_for(
        "a scheduled, running predictor pod",
        lambda: [
            p
            for p in kube.list("pods", namespace=namespace, selector="app=isvc.iris-predictor")
            if p["spec"].get("nodeName", "").startswith("kwok-") and p["status"].get("phase") == "Running"
        ],
    )
    assert pods[0]["spec"]["initContainers"][0]["args"] == [
        "gs://models/iris/v1",
        "/mnt/models",
    ]
    ready = kube.wait_for("the InferenceService to turn Ready", lambda: _ready(kube, "iris", namespace))
    assert ready["status"]["url"] == f"http://iris-{namespace}.example.com"
    assert ready["status"]["address"]["url"] == f"http://iris-predictor.{namespace}.svc.cluster.local"
    # One field manager: every field the operator set on its children, and the status it wrote, is owned by
    # `modelplane` (server-side apply for children, a status patch for the InferenceService).
    for kind, name in (
        ("deployment", "iris-predictor"),
        ("service", "iris-predictor"),
        ("hpa", "iris-predictor"),
        (VS, "iris"),
    ):
        entries = kube.get(kind, name, namespace=namespace)["metadata"]["managedFields"]
        assert [e["manager"] for e in entries if e["operation"] == "Apply"] == ["modelplane"], (kind, entries)
    status_managers = {e["manager"] for e in ready["metadata"]["managedFields"] if e.get("subresource") == "status"}
    assert status_managers == {"modelplane"}
    # The reconciles and the webhook's admission of the object show in the operator's /metrics.
    text = main_operator.metrics()
    assert 'modelplane_controller_reconcile_total{kind="InferenceService",result="success"}' in text
    assert 'modelplane_webhook_admission_total{allowed="true",kind="InferenceService"}' in text
    assert "modelplane_controller_leader 1.0" in text


def test_raw_canary_splits_90_10_and_promotion_removes_it(namespace: str, kube: Any) -> None:
    assert kube.apply(_manifest("flowers", namespace, storage_uri="gs://models/flowers/v1")).returncode == 0
    kube.wait_for("the first rollout", lambda: _ready(kube, "flowers", namespace))

    assert kube.apply(_manifest("flowers", namespace, storage_uri="gs://models/flowers/v2", canary=10)).returncode == 0
    canary = kube.wait_for(
        "the canary Deployment",
        lambda: kube.get("deployment", "flowers-predictor-canary", namespace=namespace),
    )
    stable = kube.get("deployment", "flowers-predictor", namespace=namespace)
    assert canary["spec"]["template"]["spec"]["initContainers"][0]["args"][0] == "gs://models/flowers/v2"
    assert stable["spec"]["template"]["spec"]["initContainers"][0]["args"][0] == "gs://models/flowers/v1"
    kube.wait_for(
        "a 90/10 route",
        lambda: _weights(kube, "flowers", namespace) == {"flowers-predictor": 90, "flowers-predictor-canary": 10},
    )

    assert kube.apply(_manifest("flowers", namespace, storage_uri="gs://models/flowers/v2")).returncode == 0
    kube.wait_for(
        "the canary Deployment to go",
        lambda: kube.get("deployment", "flowers-predictor-canary", namespace=namespace) is None,
    )
    stable = kube.get("deployment", "flowers-predictor", namespace=namespace)
    assert stable["spec"]["template"]["spec"]["initContainers"][0]["args"][0] == "gs://models/flowers/v2"
    assert _weights(kube, "flowers", namespace) == {"flowers-predictor": 100}


def test_deleting_a_raw_isvc_removes_every_child(namespace: str, kube: Any) -> None:
    assert kube.apply(_manifest("gone", namespace, storage_uri="gs://models/gone")).returncode == 0
    kube.wait_for("the route", lambda: kube.get(VS, "gone", namespace=namespace))
    selector = "serving.kserve.io/inferenceservice=gone"
    kinds = ("deployments", "services", "hpa", VS)
    kube.wait_for("every child", lambda: all(kube.list(kind, namespace=namespace, selector=selector) for kind in kinds))
    assert kube.delete("inferenceservice", "gone", namespace=namespace).returncode == 0
    kube.wait_for(
        "garbage collection of every child",
        lambda: not any(kube.list(kind, namespace=namespace, selector=selector) for kind in kinds),
        timeout=90,
    )
