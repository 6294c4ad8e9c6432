"""KServe's V1 protocol: `{"instances": [...]}` in, `{"predictions": [...]}` out.

The instances become one input tensor, `input-0`, with one row per instance: a numeric array when the instances are
numbers of one shape, otherwise an object array holding each instance as the caller sent it (for custom models).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
from modelplane.runtime import errors, messages, tensors

INPUT_NAME = "input-0"


def decode(*, body: bytes, model_name: str) -> messages.InferRequest:
    document = load_json(body)
    if not isinstance(document, dict):
        raise errors.InvalidInput('the body must be a JSON object like {"instances": [[1.0, 2.0]]}')
    instances = document.get("instances")
    if instances is None:
        instances = document.get("inputs")
    if instances is None:
        raise errors.InvalidInput('the body has no "instances" field; send {"instances": [...]} with one item per row')
    if not isinstance(instances, list):
        raise errors.InvalidInput(f'"instances" must be a list with one item per row, got {type(instances).__name__}')
    if not instances:
        raise errors.InvalidInput('"instances" is empty; send at least one instance')
    parameters = document.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise errors.InvalidInput('"parameters" must be a JSON object')
    array = tensors.array_from_json(instances)
    return messages.InferRequest(
        model_name=model_name,
        inputs=[tensors.Tensor(name=INPUT_NAME, datatype=tensors.datatype_of(array), data=array)],
        protocol=messages.Protocol.V1,
        parameters=parameters,
    )


def load_json(body: bytes) -> Any:
    if not body:
        raise errors.InvalidInput("the request body is empty; send a JSON object")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise errors.InvalidInput(f"the request body is not valid JSON: {exc}") from None


def encode(response: messages.InferResponse) -> bytes:
    if len(response.outputs) == 1:
        predictions: Any = to_json_value(response.outputs[0])
    else:
        predictions = {output.name: to_json_value(output) for output in response.outputs}
    return dump({"predictions": predictions})


def encode_explanation(explanation: Any) -> bytes:
    if isinstance(explanation, dict):
        return dump(explanation)
    return dump({"explanations": explanation})


def to_json_value(tensor: tensors.Tensor) -> Any:
    data = tensor.data
    if data.dtype == object or data.dtype.kind in "SU":
        return _decode_bytes(data.tolist())
    return data.tolist()


def _decode_bytes(value: Any) -> Any:
    if isinstance(value, bytes):
        try:
            return value.decode()
        except UnicodeDecodeError:
            raise errors.InferenceError("the model returned bytes that are not UTF-8; JSON cannot carry them") from None
    if isinstance(value, list):
        return [_decode_bytes(item) for item in value]
    if isinstance(value, np.ndarray):
        return _decode_bytes(value.tolist())
    return value


def dump(document: Any) -> bytes:
    try:
        return orjson.dumps(document, option=orjson.OPT_SERIALIZE_NUMPY)
    except TypeError as exc:
        raise errors.InferenceError(f"the model's answer cannot be written as JSON: {exc}") from None
