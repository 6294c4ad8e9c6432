"""V1 codec: instances become one input tensor (numeric, or objects for custom models), bad bodies name the
problem, predictions encode from numbers, strings and bytes, several outputs become a mapping."""

from __future__ import annotations

import numpy as np
import orjson
import pytest
from modelplane.runtime import errors, messages, tensors
from modelplane.runtime.protocols import v1


def test_numeric_instances() -> None:
    request = v1.decode(body=b'{"instances": [[1, 2], [3, 4]]}', model_name="m")
    assert request.protocol is messages.Protocol.V1
    assert request.inputs[0].name == "input-0"
    assert request.inputs[0].data.tolist() == [[1, 2], [3, 4]]
    assert request.rows == 2


def test_object_instances_keep_their_shape() -> None:
    request = v1.decode(body=b'{"instances": [{"a": 1}, [1, 2, 3], "text"]}', model_name="m")
    assert request.inputs[0].datatype == "BYTES"
    assert request.inputs[0].data.tolist() == [{"a": 1}, [1, 2, 3], "text"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "body is empty"),
        (b"{nope", "not valid JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b"{}", 'no "instances"'),
        (b'{"instances": 3}', '"instances" must be a list'),
        (b'{"instances": []}', "empty"),
        (b'{"instances": [1], "parameters": 3}', '"parameters" must be a JSON object'),
    ],
)
def test_bad_bodies(body: bytes, message: str) -> None:
    with pytest.raises(errors.InvalidInput, match=message):
        v1.decode(body=body, model_name="m")


def test_encode() -> None:
    numbers = messages.InferResponse(model_name="m", outputs=[tensors.Tensor.from_array(name="o", array=[1, 2])])
    assert orjson.loads(v1.encode(numbers)) == {"predictions": [1, 2]}
    words = messages.InferResponse(model_name="m", outputs=[tensors.Tensor.from_array(name="o", array=["a", "b"])])
    assert orjson.loads(v1.encode(words)) == {"predictions": ["a", "b"]}
    two = messages.InferResponse(
        model_name="m",
        outputs=[tensors.Tensor.from_array(name="a", array=[1]), tensors.Tensor.from_array(name="b", array=[2.5])],
    )
    assert orjson.loads(v1.encode(two)) == {"predictions": {"a": [1], "b": [2.5]}}
    raw = np.empty(1, dtype=object)
    raw[0] = b"\xff"
    with pytest.raises(errors.InferenceError, match="not UTF-8"):
        v1.encode(
            messages.InferResponse(model_name="m", outputs=[tensors.Tensor(name="o", datatype="BYTES", data=raw)])
        )
