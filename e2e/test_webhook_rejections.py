"""Journey: an InferenceService that breaks an admission rule is refused by the API server with a message naming
the field and the fix, and nothing is created: bounds the schema holds (canary above 100) and cross-field rules
only the validating webhook knows (min above max replicas, no or two implementations, an unknown storage scheme);
and an edit that would change the deployment mode of an existing InferenceService is refused, leaving it as it
was."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("predictor", "expected"),
    [
        pytest.param(
            {"minReplicas": 3, "maxReplicas": 1, "sklearn": {"storageUri": "gs://b/m"}},
            "minReplicas",
            id="min-above-max",
        ),
        pytest.param(
            {"canaryTrafficPercent": 150, "sklearn": {"storageUri": "gs://b/m"}},
            "canaryTrafficPercent",
            id="canary-above-100",
        ),
        pytest.param({}, "predictor", id="no-implementation"),
        pytest.param(
            {"sklearn": {"storageUri": "gs://b/m"}, "xgboost": {"storageUri": "gs://b/m"}},
            "exactly one",
            id="two-implementations",
        ),
        pytest.param({"sklearn": {"storageUri": "ftp://host/model"}}, "storageUri", id="unknown-storage-scheme"),
    ],
)
def test_invalid_inference_services_are_refused(journey, predictor: dict, expected: str) -> None:
    with pytest.raises(RuntimeError) as refused:
        journey.apply(
            {
                "apiVersion": "serving.kserve.io/v1beta1",
                "kind": "InferenceService",
                "metadata": {"name": "bad"},
                "spec": {"predictor": predictor},
            }
        )
    assert expected in str(refused.value)
    assert journey.get("inferenceservice", "bad") is None


def test_the_deployment_mode_cannot_change(journey, model_repository: str) -> None:
    uri = f"{model_repository}/iris/model.joblib"
    journey.apply(journey.sklearn("fixed-mode", uri))
    journey.ready("fixed-mode")
    with pytest.raises(RuntimeError) as refused:
        journey.apply(journey.sklearn("fixed-mode", uri, mode="Serverless"))
    assert "serving.kserve.io/deploymentMode" in str(refused.value)
    annotations = journey.get("inferenceservice", "fixed-mode")["metadata"]["annotations"]
    assert annotations["serving.kserve.io/deploymentMode"] == "RawDeployment"
