"""The data plane: preprocess and postprocess (plain or async) around predict, user models returning arrays,
lists or {"predictions": ...}, wrong return types and foreign exceptions as InferenceError, and the response id."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest
from modelplane.runtime import batching, dataplane, errors, messages, model, repository, tensors


class Pipeline(model.Model):
    async def preprocess(self, request: messages.InferRequest) -> messages.InferRequest:
        request.inputs[0].data = request.inputs[0].data + 1
        return request

    def predict(self, request: messages.InferRequest) -> Any:
        value = request.inputs[0].data
        if value[0] == 100:
            return "nonsense"
        return {"predictions": (value * 10).tolist()}

    def postprocess(self, response: messages.InferResponse, request: messages.InferRequest) -> Any:
        return response.outputs[0].data.tolist()


def infer(values: list[float], batch: batching.BatchSettings | None = None) -> Any:
    async def run() -> Any:
        models = repository.ModelRepository()
        item = Pipeline(name="p")
        item.ready = True
        models.add(item)
        plane = dataplane.DataPlane(models=models, batch=batch)
        request = messages.InferRequest(
            model_name="p", id="r", inputs=[tensors.Tensor.from_array(name="x", array=np.array(values))]
        )
        return await plane.infer(request)

    return asyncio.run(run())


@pytest.mark.parametrize("batch", [None, batching.BatchSettings(max_batch_size=8)], ids=["direct", "batched"])
def test_pipeline(batch: batching.BatchSettings | None) -> None:
    response = infer([1.0, 2.0], batch)
    assert response.outputs[0].data.tolist() == [20.0, 30.0]
    assert response.id == "r"


def test_wrong_return_type() -> None:
    with pytest.raises(errors.InferenceError, match="returned str; return an InferResponse"):
        infer([99.0])


def test_as_response() -> None:
    item = model.Model(name="m")
    assert dataplane.as_response(item, np.array([1])).outputs[0].name == "output-0"
    assert dataplane.as_response(item, [[1], [2, 3]]).outputs[0].data.tolist() == [[1], [2, 3]]
    with pytest.raises(errors.InferenceError):
        dataplane.as_response(item, 3)
