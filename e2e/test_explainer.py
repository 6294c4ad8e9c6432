"""Journey: an explainer beside the predictor. The explainer is the runtime image's SHAP explainer component
(`--model_format shap`) in its own pod, with background rows and the predictor's class labels from a ConfigMap; the
controller points it at the predictor and routes `:explain` on the InferenceService's host to it, while `:predict`
keeps going to the predictor. The explanation has one SHAP value per feature and class for each row, and per class
the values and the base value add up to the predictor's one-hot answer."""

from __future__ import annotations

import json

import pytest

IRIS = [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]
BACKGROUND = [[5.1, 3.5, 1.4, 0.2], [5.9, 3.0, 4.2, 1.5], [6.9, 3.1, 5.4, 2.1]]


def test_explain_goes_to_the_explainer_and_predict_to_the_predictor(journey, model_repository: str) -> None:
    journey.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "iris-explainer"},
            "data": {
                "background.json": json.dumps(BACKGROUND),
                "explainer.json": json.dumps({"classes": [0, 1, 2], "nsamples": 64}),
            },
        }
    )
    explainer = {
        "containers": [
            {
                "name": "kserve-container",
                "image": "modelplane/runtime:0.1.0",
                "args": ["--model_name=iris", "--model_format=shap", "--model_dir=/mnt/explainer"],
                "volumeMounts": [{"name": "explainer", "mountPath": "/mnt/explainer", "readOnly": True}],
            }
        ],
        "volumes": [{"name": "explainer", "configMap": {"name": "iris-explainer"}}],
    }
    predictor = {"model": {"modelFormat": {"name": "sklearn"}, "storageUri": f"{model_repository}/iris/model.joblib"}}
    journey.apply(journey.isvc("iris", predictor, explainer=explainer))
    isvc = journey.ready("iris")
    assert set(isvc["status"]["components"]) == {"predictor", "explainer"}

    assert journey.answered("iris", "/v1/models/iris:predict", {"instances": IRIS}) == (200, {"predictions": [1, 1]})
    status, body = journey.answered("iris", "/v1/models/iris:explain", {"instances": IRIS}, timeout=120)
    assert status == 200, body
    explanation = body["explanations"]
    values, base = explanation["shap_values"], explanation["base_values"]
    assert [len(values), len(values[0]), len(values[0][0])] == [2, 4, 3]  # rows x features x classes
    for row in range(2):  # both rows are versicolor: the values add up to the one-hot answer [0, 1, 0]
        row_base = base[row] if isinstance(base[0], list) else base
        totals = [sum(values[row][feature][k] for feature in range(4)) + row_base[k] for k in range(3)]
        assert totals == pytest.approx([0.0, 1.0, 0.0], abs=1e-6)
