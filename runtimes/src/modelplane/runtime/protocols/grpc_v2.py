"""V2 gRPC messages <-> the internal request and response.

The message classes come from the committed descriptor of `proto/grpc_predict_v2.proto`, built in a private
descriptor pool (see `proto/generate.py` for why). Inputs are read from `raw_input_contents` when the client sent
raw bytes (tritonclient does) or from the typed `contents` fields; outputs always go back as
`raw_output_contents`, which every V2 client reads.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from modelplane.runtime import errors, messages, proto, tensors
from modelplane.runtime.protocols import v2

SERVICE = "inference.GRPCInferenceService"

_CONTENTS_FIELD = {
    "BOOL": "bool_contents",
    "INT8": "int_contents",
    "INT16": "int_contents",
    "INT32": "int_contents",
    "INT64": "int64_contents",
    "UINT8": "uint_contents",
    "UINT16": "uint_contents",
    "UINT32": "uint_contents",
    "UINT64": "uint64_contents",
    "FP32": "fp32_contents",
    "FP64": "fp64_contents",
    "BYTES": "bytes_contents",
}


@functools.cache
def message_classes() -> dict[str, Any]:
    """Every message class of the protocol by its short name (`ModelInferRequest`, ...)."""
    pool = descriptor_pool.DescriptorPool()
    pool.Add(descriptor_pb2.FileDescriptorProto.FromString(proto.descriptor()))
    described = pool.FindFileByName("grpc_predict_v2.proto")
    return {name: message_factory.GetMessageClass(kind) for name, kind in described.message_types_by_name.items()}


def _parameter_value(parameter: Any) -> Any:
    choice = parameter.WhichOneof("parameter_choice")
    return getattr(parameter, choice) if choice else None


def _parameters(mapping: Any) -> dict[str, Any]:
    return {key: _parameter_value(value) for key, value in mapping.items()}


def decode(message: Any) -> messages.InferRequest:
    if not message.model_name:
        raise errors.InvalidInput("model_name is empty; name the model to infer with")
    if not message.inputs:
        raise errors.InvalidInput("the request has no inputs")
    raw = message.raw_input_contents
    if raw and len(raw) != len(message.inputs):
        raise errors.InvalidInput(
            f"raw_input_contents has {len(raw)} entries for {len(message.inputs)} inputs; send one per input"
        )
    inputs = []
    for index, item in enumerate(message.inputs):
        where = f"input '{item.name}'"
        if not item.name:
            raise errors.InvalidInput(f"inputs[{index}] has no name")
        dtype = tensors.numpy_dtype(item.datatype)
        shape = list(item.shape)
        if any(dim < 0 for dim in shape):
            raise errors.InvalidInput(f"{where}: shape {shape} has a negative dimension")
        count = math.prod(shape)
        if raw:
            if item.datatype == "BYTES":
                data = v2.deserialize_bytes(raw[index], count=count, where=where)
            else:
                if len(raw[index]) != count * dtype.itemsize:
                    raise errors.InvalidInput(
                        f"{where}: {count} {item.datatype} elements take {count * dtype.itemsize} bytes, "
                        f"raw_input_contents has {len(raw[index])}"
                    )
                data = np.frombuffer(raw[index], dtype=dtype.newbyteorder("<"))
        else:
            field = _CONTENTS_FIELD.get(item.datatype)
            if field is None:
                raise errors.InvalidInput(f"{where}: {item.datatype} data must be sent in raw_input_contents")
            values = getattr(item.contents, field)
            if len(values) != count:
                raise errors.InvalidInput(f"{where}: the shape holds {count} elements but contents has {len(values)}")
            if item.datatype == "BYTES":
                data = np.empty(count, dtype=object)
                for position, value in enumerate(values):
                    data[position] = bytes(value)
            else:
                data = np.asarray(values, dtype=dtype)
        inputs.append(
            tensors.Tensor(
                name=item.name,
                datatype=item.datatype,
                data=data.reshape(shape),
                parameters=_parameters(item.parameters),
            )
        )
    return messages.InferRequest(
        model_name=message.model_name,
        model_version=message.model_version or None,
        id=message.id or None,
        inputs=inputs,
        protocol=messages.Protocol.GRPC,
        parameters=_parameters(message.parameters),
        outputs=[
            messages.RequestedOutput(name=output.name, parameters=_parameters(output.parameters))
            for output in message.outputs
        ],
    )


def _set_parameter(target: Any, value: Any) -> None:
    if isinstance(value, bool):
        target.bool_param = value
    elif isinstance(value, int):
        target.int64_param = value
    elif isinstance(value, float):
        target.double_param = value
    else:
        target.string_param = str(value)


def encode(response: messages.InferResponse, request: messages.InferRequest) -> Any:
    reply = message_classes()["ModelInferResponse"]()
    reply.model_name = response.model_name or request.model_name
    reply.model_version = response.model_version or request.model_version or ""
    reply.id = response.id or request.id or ""
    for key, value in response.parameters.items():
        _set_parameter(reply.parameters[key], value)
    for tensor in v2.select_outputs(response, request):
        output = reply.outputs.add()
        output.name = tensor.name
        output.datatype = tensor.datatype
        output.shape.extend(tensor.data.shape)
        reply.raw_output_contents.append(v2.tensor_bytes(tensor))
    return reply
