"""Tests of the TrainedModel reconcile against golden plans: a model that fits is loaded through the V2 repository
API into every ready replica of the parent's predictor that lacks it (a replica that holds it gets no request); a
parent with no ready replica, replicas that cannot be found (no permission to watch EndpointSlices), a missing or
unready parent, a single-model runtime, an unsupported framework and a model that would overflow the predictor's
memory limit each end in their own condition (and a retry), loading nothing; after the loads, the status says how
many replicas hold the model, or which replica failed and why; and the unload requests for a deleted model go to
every replica.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from modelplane.reconcile import trainedmodel
from modelplane.reconcile.observed import ObservedTrainedModel, Replica

NOW = "2026-11-22T22:00:00Z"
MMS_RUNTIME = {
    "metadata": {"name": "mms-sklearn"},
    "spec": {
        "multiModel": True,
        "supportedModelFormats": [{"name": "sklearn", "autoSelect": True}, {"name": "xgboost", "autoSelect": True}],
        "containers": [
            {
                "name": "kserve-container",
                "image": "modelplane/runtime:0.1.0",
                "resources": {"limits": {"memory": "1Gi"}},
            }
        ],
    },
}
SINGLE_RUNTIME = {**MMS_RUNTIME, "spec": {**MMS_RUNTIME["spec"], "multiModel": False}}


def parent(*, ready: bool = True) -> dict[str, Any]:
    return {
        "metadata": {"name": "mms", "namespace": "models"},
        "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"}, "storageUri": "gs://m/base"}}},
        "status": {
            "url": "http://mms-models.example.com",
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


def tm(
    name: str, *, memory: str = "256Mi", framework: str = "sklearn", created: str = "2026-11-22T21:00:00Z"
) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "models", "creationTimestamp": created},
        "spec": {
            "inferenceService": "mms",
            "model": {"framework": framework, "storageUri": f"gs://m/{name}", "memory": memory},
        },
    }


REPLICAS = (Replica(address="198.18.0.7:8080"), Replica(address="198.18.0.8:8080"))


def observe(obj: dict[str, Any], **kwargs: Any) -> ObservedTrainedModel:
    kwargs.setdefault("parent", parent())
    kwargs.setdefault("cluster_runtimes", (MMS_RUNTIME,))
    kwargs.setdefault("replicas", REPLICAS)
    return ObservedTrainedModel(trained_model=obj, now=NOW, **kwargs)


def after(observed: ObservedTrainedModel, failures: dict[str, str]) -> ObservedTrainedModel:
    plan = trainedmodel.reconcile(observed)
    return trainedmodel.after_loads(observed, loads=plan.model_loads, failures=failures)


CASES: dict[str, Callable[[], ObservedTrainedModel]] = {
    "loads": lambda: observe(tm("iris"), siblings=(tm("older", memory="512Mi", created="2026-11-22T20:00:00Z"),)),
    "memory-full": lambda: observe(
        tm("iris", memory="600Mi"), siblings=(tm("older", memory="512Mi", created="2026-11-22T20:00:00Z"),)
    ),
    "later-sibling-not-counted": lambda: observe(
        tm("iris", memory="600Mi"), siblings=(tm("newer", memory="512Mi", created="2026-11-22T23:00:00Z"),)
    ),
    "loads-only-where-missing": lambda: observe(
        tm("iris"), replicas=(Replica(address="198.18.0.7:8080", loaded=True), Replica(address="198.18.0.9:8080"))
    ),
    "loaded-everywhere": lambda: after(observe(tm("iris")), {}),
    "one-replica-failed": lambda: after(
        observe(tm("iris")), {"198.18.0.8:8080": "load of iris at ... answered HTTP 400: no such bucket"}
    ),
    "no-ready-replica": lambda: observe(tm("iris"), replicas=()),
    "replicas-unknown": lambda: observe(
        tm("iris"), replicas=(), replicas_error="the operator may not list/watch EndpointSlices"
    ),
    "parent-missing": lambda: observe(tm("iris"), parent=None),
    "parent-not-ready": lambda: observe(tm("iris"), parent=parent(ready=False)),
    "single-model-runtime": lambda: observe(tm("iris"), cluster_runtimes=(SINGLE_RUNTIME,)),
    "framework-unsupported": lambda: observe(tm("iris", framework="onnx")),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_reconcile(case: str, golden: Callable[[Any], None], plan_as_data: Callable[[Any], dict[str, Any]]) -> None:
    golden(plan_as_data(trainedmodel.reconcile(CASES[case]())))


def test_unload_goes_to_every_replica() -> None:
    requests = trainedmodel.unloads(trained_model=tm("iris"), replicas=["198.18.0.7:8080", "198.18.0.8:8080"])
    assert [r.url for r in requests] == [
        "http://198.18.0.7:8080/v2/repository/models/iris/unload",
        "http://198.18.0.8:8080/v2/repository/models/iris/unload",
    ]
    assert {r.action for r in requests} == {"unload"}
    assert [r.replica for r in requests] == ["198.18.0.7:8080", "198.18.0.8:8080"]
