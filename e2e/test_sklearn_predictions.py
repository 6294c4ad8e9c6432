"""Journey: a data scientist deploys a scikit-learn model in Raw mode and asks it for predictions through the
ingress, over the V1 and the V2 (Open Inference) protocols."""

from __future__ import annotations

IRIS = [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]


def test_sklearn_v1_and_v2_predictions_through_the_ingress(journey, model_repository: str) -> None:
    journey.apply(journey.sklearn("sklearn-iris", f"{model_repository}/iris/model.joblib"))
    isvc = journey.ready("sklearn-iris")
    assert isvc["status"]["url"].startswith("http://sklearn-iris")

    status, body = journey.answered("sklearn-iris", "/v1/models/sklearn-iris:predict", {"instances": IRIS})
    assert (status, body) == (200, {"predictions": [1, 1]})

    v2 = {"inputs": [{"name": "input-0", "shape": [2, 4], "datatype": "FP32", "data": IRIS}]}
    status, body = journey.post("sklearn-iris", "/v2/models/sklearn-iris/infer", v2)
    assert status == 200
    assert body["model_name"] == "sklearn-iris"
    assert body["outputs"][0]["data"] == [1, 1]
