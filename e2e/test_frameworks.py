"""Journey: models of each built-in framework (XGBoost, LightGBM, ONNX) are deployed the same way as scikit-learn
ones and answer predictions through the ingress, equal to what the framework itself computes."""

from __future__ import annotations

from collections.abc import Callable

import pytest

IRIS = [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]


@pytest.mark.parametrize(
    ("model_format", "path"),
    [
        pytest.param("xgboost", "xgboost/model.json", id="xgboost"),
        pytest.param("lightgbm", "lightgbm/model.txt", id="lightgbm"),
    ],
)
def test_gradient_boosting_models_answer_like_the_framework(
    journey, model_repository: str, framework_predictions: Callable[[str], list[float]], model_format: str, path: str
) -> None:
    journey.apply(journey.sklearn("gbm", f"{model_repository}/{path}", model_format=model_format))
    journey.ready("gbm")
    status, body = journey.answered("gbm", "/v1/models/gbm:predict", {"instances": IRIS})
    assert status == 200, body
    assert body["predictions"] == pytest.approx(framework_predictions(path), rel=1e-5)


def test_onnx_model_answers_v2_with_its_labels(journey, model_repository: str) -> None:
    journey.apply(journey.sklearn("onnx", f"{model_repository}/onnx/model.onnx", model_format="onnx"))
    journey.ready("onnx")
    v2 = {"inputs": [{"name": "X", "shape": [2, 4], "datatype": "FP32", "data": IRIS}]}
    status, body = journey.answered("onnx", "/v2/models/onnx/infer", v2)
    assert status == 200, body
    labels = next(o for o in body["outputs"] if o["name"] == "label")
    assert labels["data"] == [1, 1]
