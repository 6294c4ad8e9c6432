"""Journey: a data scientist serves their own model class. `model.py` (a `modelplane.runtime.model.Model` that reads
its weights in `load()` and scores rows in `predict()`) and its weights file, packed as a `.tar.gz` that the
storage initializer unpacks, sit in the model repository; the InferenceService asks for model format `custom`,
which the chart's `modelplane-custom` runtime serves. It answers V1 and V2 with what the class computes."""

from __future__ import annotations

import pytest

ROWS = [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]
WEIGHTS, BIAS = [1.0, 0.5, -1.0, 2.0], 0.25


@pytest.fixture
def expected() -> list[float]:
    return [sum(w * v for w, v in zip(WEIGHTS, row, strict=True)) + BIAS for row in ROWS]


def test_custom_model_class_answers_v1_and_v2(journey, model_repository: str, expected: list[float]) -> None:
    journey.apply(journey.sklearn("weighted", f"{model_repository}/custom/model.tar.gz", model_format="custom"))
    journey.ready("weighted")

    status, body = journey.answered("weighted", "/v1/models/weighted:predict", {"instances": ROWS})
    assert status == 200, body
    assert body["predictions"] == pytest.approx(expected)

    v2 = {"inputs": [{"name": "input-0", "shape": [2, 4], "datatype": "FP64", "data": ROWS}]}
    status, body = journey.post("weighted", "/v2/models/weighted/infer", v2)
    assert status == 200, body
    assert body["outputs"][0]["data"] == pytest.approx(expected)
