"""V2 REST codec: every datatype in JSON and in the binary extension, both directions; requested outputs and
binary_data flags; header length handling; and a clear InvalidInput for each kind of malformed tensor."""

from __future__ import annotations

import struct

import numpy as np
import orjson
import pytest
from modelplane.runtime import errors, messages, tensors
from modelplane.runtime.protocols import v2

NUMERIC = ["BOOL", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64", "FP16", "FP32", "FP64"]


def sample(datatype: str) -> np.ndarray:
    if datatype == "BOOL":
        return np.array([[True, False, True], [False, False, True]])
    if datatype == "BYTES":
        out = np.empty((2, 3), dtype=object)
        for i, word in enumerate(["a", "bc", "", "déf", "g", "h"]):
            out.reshape(-1)[i] = word.encode()
        return out
    dtype = tensors.numpy_dtype(datatype)
    return np.arange(6).reshape(2, 3).astype(dtype) + (np.array(0.5, dtype=dtype) if dtype.kind == "f" else 0)


def json_value(array: np.ndarray, datatype: str) -> list[object]:
    flat = array.reshape(-1).tolist()
    return [item.decode() for item in flat] if datatype == "BYTES" else flat


@pytest.mark.parametrize("datatype", [*NUMERIC, "BYTES"])
def test_json_roundtrip(datatype: str) -> None:
    data = sample(datatype)
    body = orjson.dumps(
        {
            "id": "1",
            "inputs": [{"name": "x", "shape": [2, 3], "datatype": datatype, "data": json_value(data, datatype)}],
        }
    )
    request = v2.decode(body=body, model_name="m")
    tensor = request.inputs[0]
    assert tensor.data.dtype == tensors.numpy_dtype(datatype)
    assert tensor.data.tolist() == data.tolist()
    response = messages.InferResponse(model_name="m", outputs=[tensor])
    payload, header = v2.encode(response, request)
    assert header is None
    document = orjson.loads(payload)
    assert document["id"] == "1"
    assert document["outputs"][0]["data"] == json_value(data, datatype)
    assert document["outputs"][0]["shape"] == [2, 3]


def binary_body(data: np.ndarray, datatype: str, *, binary_output: bool) -> tuple[bytes, int]:
    raw = v2.tensor_bytes(tensors.Tensor(name="x", datatype=datatype, data=data))
    header = {
        "inputs": [
            {"name": "x", "shape": list(data.shape), "datatype": datatype, "parameters": {"binary_data_size": len(raw)}}
        ],
        "outputs": [{"name": "x", "parameters": {"binary_data": binary_output}}],
    }
    head = orjson.dumps(header)
    return head + raw, len(head)


@pytest.mark.parametrize("datatype", [*NUMERIC, "BYTES"])
def test_binary_roundtrip(datatype: str) -> None:
    data = sample(datatype)
    body, length = binary_body(data, datatype, binary_output=True)
    request = v2.decode(body=body, model_name="m", header_length=length)
    assert request.inputs[0].data.tolist() == data.tolist()
    payload, json_length = v2.encode(messages.InferResponse(model_name="m", outputs=request.inputs), request)
    assert json_length is not None
    document = orjson.loads(payload[:json_length])
    size = document["outputs"][0]["parameters"]["binary_data_size"]
    assert "data" not in document["outputs"][0]
    assert payload[json_length:] == v2.tensor_bytes(request.inputs[0])
    assert size == len(payload) - json_length


def test_binary_data_output_for_all_outputs() -> None:
    request = v2.decode(
        body=b'{"inputs":[{"name":"x","shape":[1],"datatype":"INT32","data":[7]}],"parameters":{"binary_data_output":true}}',
        model_name="m",
    )
    payload, json_length = v2.encode(messages.InferResponse(model_name="m", outputs=request.inputs), request)
    assert json_length is not None
    assert struct.unpack("<i", payload[json_length:]) == (7,)


def test_requested_outputs() -> None:
    request = v2.decode(
        body=b'{"inputs":[{"name":"x","shape":[1],"datatype":"INT32","data":[7]}],"outputs":[{"name":"b"}]}',
        model_name="m",
    )
    response = messages.InferResponse(
        model_name="m",
        outputs=[tensors.Tensor.from_array(name="a", array=[1]), tensors.Tensor.from_array(name="b", array=[2])],
    )
    document = orjson.loads(v2.encode(response, request)[0])
    assert [o["name"] for o in document["outputs"]] == ["b"]
    request.outputs = [messages.RequestedOutput(name="zzz")]
    with pytest.raises(errors.InvalidInput, match="output 'zzz' does not exist"):
        v2.encode(response, request)


def tensor_body(**fields: object) -> bytes:
    tensor = {"name": "x", "shape": [2], "datatype": "FP32", "data": [1.0, 2.0]}
    tensor.update(fields)
    return orjson.dumps({"inputs": [tensor]})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"inputs": []}', "non-empty list"),
        (b'{"inputs": [3]}', r"inputs\[0\] must be an object"),
        (tensor_body(name=""), "non-empty string"),
        (tensor_body(shape=[-1]), "non-negative integers"),
        (tensor_body(shape="2"), "non-negative integers"),
        (tensor_body(datatype="FP128"), "unknown datatype 'FP128'"),
        (tensor_body(data=[1.0, 2.0, 3.0]), "holds 2 elements but data has 3"),
        (tensor_body(data=["a", "b"]), "must be numbers for FP32, got strings"),
        (tensor_body(data=[[1.0], [2.0, 3.0]]), "one shape"),
        (tensor_body(datatype="INT8", data=[1.5, 2]), "must be integers"),
        (tensor_body(datatype="UINT8", data=[300, 1]), "do not fit UINT8"),
        (tensor_body(datatype="BOOL", data=[1, 0]), "true/false"),
        (tensor_body(datatype="BYTES", data=[1, 2]), "BYTES data must be strings"),
        (tensor_body(data=None, parameters={"binary_data_size": 8}), "does not fit"),
        (b'{"inputs":[{"name":"x","shape":[1],"datatype":"FP32"}]}', 'has no "data"'),
        (b'{"id": 5, "inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}', '"id" must be a string'),
        (b'{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}],"outputs":[1]}', r"outputs\[0\]"),
    ],
)
def test_malformed(body: bytes, message: str) -> None:
    with pytest.raises(errors.InvalidInput, match=message):
        v2.decode(body=body, model_name="m")


def test_binary_errors() -> None:
    body, length = binary_body(np.zeros(2, dtype=np.float32), "FP32", binary_output=False)
    with pytest.raises(errors.InvalidInput, match="Inference-Header-Content-Length is 9999"):
        v2.decode(body=body, model_name="m", header_length=9999)
    with pytest.raises(errors.InvalidInput, match="bytes of binary data that no input"):
        v2.decode(body=body + b"xx", model_name="m", header_length=length)
    with pytest.raises(errors.InvalidInput, match="ends before element 1"):
        v2.deserialize_bytes(struct.pack("<I", 5) + b"abcde", count=2, where="x")
    with pytest.raises(errors.InvalidInput, match="cannot hold 2 BYTES elements"):
        v2.deserialize_bytes(struct.pack("<I", 1) + b"a", count=2, where="x")
    with pytest.raises(errors.InvalidInput, match="runs past the end"):
        v2.deserialize_bytes(struct.pack("<I", 5) + b"a", count=1, where="x")


def test_response_roundtrip_for_forwarding() -> None:
    request = messages.InferRequest(
        model_name="m", inputs=[tensors.Tensor.from_array(name="x", array=np.array([[1.5, 2.5]]))], id="q"
    )
    decoded = v2.decode(body=v2.encode_request(request), model_name="m")
    assert decoded.inputs[0].data.tolist() == [[1.5, 2.5]]
    assert decoded.id == "q"
    payload, length = v2.encode(messages.InferResponse(model_name="m", outputs=decoded.inputs), decoded)
    back = v2.decode_response(body=payload, header_length=length)
    assert back.outputs[0].data.tolist() == [[1.5, 2.5]]
