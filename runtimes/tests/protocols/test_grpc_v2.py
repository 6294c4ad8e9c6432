"""V2 gRPC codec: message classes built from the committed descriptor in a private pool; requests with raw
contents (every datatype) and with typed contents decode; responses carry raw output bytes; malformed requests
raise InvalidInput."""

from __future__ import annotations

import numpy as np
import pytest
from modelplane.runtime import errors, messages, tensors
from modelplane.runtime.protocols import grpc_v2, v2

DATATYPES = ["BOOL", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64", "FP16", "FP32", "FP64"]


def make_request(**fields: object) -> object:
    return grpc_v2.message_classes()["ModelInferRequest"](**fields)


@pytest.mark.parametrize("datatype", [*DATATYPES, "BYTES"])
def test_raw_contents_roundtrip(datatype: str) -> None:
    if datatype == "BYTES":
        data = np.array([b"a", b"", b"xyz", b"q"], dtype=object).reshape(2, 2)
    else:
        data = (np.arange(4).reshape(2, 2) % 2).astype(tensors.numpy_dtype(datatype))
    raw = v2.tensor_bytes(tensors.Tensor(name="x", datatype=datatype, data=data))
    message = make_request(
        model_name="m", id="7", inputs=[{"name": "x", "datatype": datatype, "shape": [2, 2]}], raw_input_contents=[raw]
    )
    request = grpc_v2.decode(message)
    assert request.protocol is messages.Protocol.GRPC
    assert request.id == "7"
    assert request.inputs[0].data.tolist() == data.tolist()
    reply = grpc_v2.encode(messages.InferResponse(model_name="m", outputs=request.inputs), request)
    assert reply.id == "7"
    assert list(reply.outputs[0].shape) == [2, 2]
    assert reply.raw_output_contents[0] == raw


def test_typed_contents_and_parameters() -> None:
    message = make_request(
        model_name="m",
        inputs=[{"name": "x", "datatype": "FP32", "shape": [1, 2], "contents": {"fp32_contents": [1.5, 2.5]}}],
        parameters={"flag": {"bool_param": True}, "n": {"int64_param": 3}},
        outputs=[{"name": "y"}],
    )
    request = grpc_v2.decode(message)
    assert request.inputs[0].data.tolist() == [[1.5, 2.5]]
    assert request.parameters == {"flag": True, "n": 3}
    assert [o.name for o in request.outputs] == ["y"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1]}]}, "model_name is empty"),
        ({"model_name": "m"}, "no inputs"),
        ({"model_name": "m", "inputs": [{"name": "x", "datatype": "FP99", "shape": [1]}]}, "unknown datatype"),
        (
            {
                "model_name": "m",
                "inputs": [{"name": "x", "datatype": "FP32", "shape": [2]}],
                "raw_input_contents": [b"1234"],
            },
            "take 8 bytes",
        ),
        (
            {"model_name": "m", "inputs": [{"name": "x", "datatype": "FP32", "shape": [2]}], "raw_input_contents": []},
            "contents has 0",
        ),
        ({"model_name": "m", "inputs": [{"name": "x", "datatype": "FP16", "shape": [1]}]}, "raw_input_contents"),
        (
            {
                "model_name": "m",
                "inputs": [{"name": "x", "datatype": "BYTES", "shape": [10**12]}],
                "raw_input_contents": [b"\x01\x00\x00\x00a"],
            },
            "cannot hold 1000000000000 BYTES elements",
        ),
    ],
)
def test_malformed(fields: dict[str, object], message: str) -> None:
    with pytest.raises(errors.InvalidInput, match=message):
        grpc_v2.decode(make_request(**fields))
