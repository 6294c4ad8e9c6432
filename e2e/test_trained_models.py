"""Journey: multi-model serving with TrainedModels. A parent InferenceService on the chart's multi-model runtime
(`modelplane-multimodel`, two replicas) serves its own scikit-learn model; a TrainedModel adds an XGBoost model to
it at run time (the controller loads it into every replica through the V2 repository API, the server fetches its
storage URI), after which the parent's host answers for both models on every replica; deleting the TrainedModel
unloads it again while the parent's own model keeps answering."""

from __future__ import annotations

import pytest

IRIS = [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]


def condition(obj: dict | None, kind: str) -> str | None:
    conditions = ((obj or {}).get("status") or {}).get("conditions") or []
    return next((c.get("status") for c in conditions if c.get("type") == kind), None)


def test_trained_model_is_loaded_into_every_replica_and_unloaded(
    journey, model_repository: str, framework_predictions
) -> None:
    parent = journey.isvc(
        "mms",
        {
            "minReplicas": 2,
            "model": {
                "modelFormat": {"name": "sklearn"},
                "runtime": "modelplane-multimodel",
                "storageUri": f"{model_repository}/iris/model.joblib",
            },
        },
    )
    parent["metadata"]["annotations"]["serving.kserve.io/autoscalerClass"] = "none"
    journey.apply(parent)
    journey.ready("mms")
    assert journey.answered("mms", "/v1/models/mms:predict", {"instances": IRIS}) == (200, {"predictions": [1, 1]})

    journey.apply(
        {
            "apiVersion": "serving.kserve.io/v1alpha1",
            "kind": "TrainedModel",
            "metadata": {"name": "xgb"},
            "spec": {
                "inferenceService": "mms",
                "model": {
                    "framework": "xgboost",
                    "storageUri": f"{model_repository}/xgboost/model.json",
                    "memory": "64Mi",
                },
            },
        }
    )
    loaded = journey.wait(
        "the TrainedModel to be Ready",
        lambda: (tm := journey.get("trainedmodel", "xgb")) and condition(tm, "Ready") == "True" and tm,
        timeout=180,
    )
    message = next(c["message"] for c in loaded["status"]["conditions"] if c["type"] == "ModelLoaded")
    assert message == "loaded into 2 of 2 replicas of mms-predictor"

    expected = framework_predictions("xgboost/model.json")
    for _ in range(10):  # the Service spreads these over both replicas
        status, body = journey.post("mms", "/v1/models/xgb:predict", {"instances": IRIS})
        assert status == 200, body
        assert body["predictions"] == pytest.approx(expected, rel=1e-5)

    journey.kubectl("delete", "trainedmodel", "xgb", "--wait=true", "--timeout=120s")
    journey.wait(
        "the model to be unloaded",
        lambda: all(journey.post("mms", "/v1/models/xgb:predict", {"instances": IRIS})[0] == 404 for _ in range(6)),
        timeout=120,
    )
    assert journey.post("mms", "/v1/models/mms:predict", {"instances": IRIS}) == (200, {"predictions": [1, 1]})
