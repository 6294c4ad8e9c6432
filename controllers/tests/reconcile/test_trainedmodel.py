"""Tests of the TrainedModel reconcile against golden plans: a model that fits is loaded through the parent's V2
repository API; a missing or unready parent, a single-model runtime, an unsupported framework and a model that
would overflow the predictor's memory limit each end in their own condition (and a retry), loading nothing; and
the unload request for a deleted model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from modelplane.reconcile import trainedmodel
from modelplane.reconcile.observed import ObservedTrainedModel

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


def observe(obj: dict[str, Any], **kwargs: Any) -> ObservedTrainedModel:
    kwargs.setdefault("parent", parent())
    kwargs.setdefault("cluster_runtimes", (MMS_RUNTIME,))
    return ObservedTrainedModel(trained_model=obj, now=NOW, **kwargs)


CASES: dict[str, Callable[[], ObservedTrainedModel]] = {
    "loads": lambda: observe(tm("iris"), siblings=(tm("older", memory="512Mi", created="2026-11-22T20:00:00Z"),)),
    "memory-full": lambda: observe(
        tm("iris", memory="600Mi"), siblings=(tm("older", memory="512Mi", created="2026-11-22T20:00:00Z"),)
    ),
    "later-sibling-not-counted": lambda: observe(
        tm("iris", memory="600Mi"), siblings=(tm("newer", memory="512Mi", created="2026-11-22T23:00:00Z"),)
    ),
    "parent-missing": lambda: observe(tm("iris"), parent=None),
    "parent-not-ready": lambda: observe(tm("iris"), parent=parent(ready=False)),
    "single-model-runtime": lambda: observe(tm("iris"), cluster_runtimes=(SINGLE_RUNTIME,)),
    "framework-unsupported": lambda: observe(tm("iris", framework="onnx")),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_reconcile(case: str, golden: Callable[[Any], None], plan_as_data: Callable[[Any], dict[str, Any]]) -> None:
    golden(plan_as_data(trainedmodel.reconcile(CASES[case]())))


def test_unload_targets_the_parent_predictor() -> None:
    request = trainedmodel.unload(trained_model=tm("iris"), parent=parent())
    assert request.url == "http://mms-predictor.models.svc.cluster.local/v2/repository/models/iris/unload"
    assert request.action == "unload"
