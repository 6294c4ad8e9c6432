"""Journey: an InferenceService that breaks an admission rule is refused by the API server with a message naming
the field and the fix, and nothing is created."""

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
