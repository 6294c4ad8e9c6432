"""The V2 / Open Inference Protocol over REST, including the binary tensor data extension.

A request body is JSON, or (with the `Inference-Header-Content-Length` header) a JSON header followed by raw
tensor bytes: an input whose parameters carry `binary_data_size` takes its data from the next that many bytes
(little-endian; BYTES elements as a 4-byte length and the bytes). Outputs go back as JSON `data`, or as raw bytes
after the JSON when the caller asks with `outputs[].parameters.binary_data` or `parameters.binary_data_output`.
"""

from __future__ import annotations

import math
import struct
from typing import Any

import numpy as np
from modelplane.runtime import errors, messages, tensors
from modelplane.runtime.protocols import v1

_INT_KINDS = "iu"


def decode(
    *, body: bytes, model_name: str, model_version: str | None = None, header_length: int | None = None
) -> messages.InferRequest:
    if header_length is None:
        document, binary = v1.load_json(body), memoryview(b"")
    else:
        if header_length < 0 or header_length > len(body):
            raise errors.InvalidInput(
                f"Inference-Header-Content-Length is {header_length} but the body has {len(body)} bytes"
            )
        # A view, not a copy: tensors read from binary data are read-only arrays over the request body.
        document, binary = v1.load_json(body[:header_length]), memoryview(body)[header_length:]
    if not isinstance(document, dict):
        raise errors.InvalidInput('the body must be a JSON object like {"inputs": [{"name": ..., "shape": ...}]}')
    raw_inputs = document.get("inputs")
    if not isinstance(raw_inputs, list) or not raw_inputs:
        raise errors.InvalidInput('"inputs" must be a non-empty list of tensors {name, shape, datatype, data}')
    offset = 0
    inputs = []
    for index, raw in enumerate(raw_inputs):
        tensor, offset = _decode_input(raw, index=index, binary=binary, offset=offset)
        inputs.append(tensor)
    if offset != len(binary):
        raise errors.InvalidInput(
            f"the body has {len(binary) - offset} bytes of binary data that no input's binary_data_size claims"
        )
    request_id = document.get("id")
    if request_id is not None and not isinstance(request_id, str):
        raise errors.InvalidInput('"id" must be a string')
    return messages.InferRequest(
        model_name=model_name,
        model_version=model_version,
        inputs=inputs,
        protocol=messages.Protocol.V2,
        id=request_id,
        parameters=_parameters(document.get("parameters"), where="the request"),
        outputs=_requested_outputs(document.get("outputs")),
    )


def _parameters(value: Any, *, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise errors.InvalidInput(f'"parameters" of {where} must be a JSON object')
    return value


def _requested_outputs(value: Any) -> list[messages.RequestedOutput]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise errors.InvalidInput('"outputs" must be a list of {"name": ..., "parameters": {...}}')
    outputs = []
    for index, raw in enumerate(value):
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            raise errors.InvalidInput(f'outputs[{index}] must be an object with a string "name"')
        outputs.append(
            messages.RequestedOutput(name=raw["name"], parameters=_parameters(raw.get("parameters"), where="an output"))
        )
    return outputs


def _decode_input(raw: Any, *, index: int, binary: memoryview, offset: int) -> tuple[tensors.Tensor, int]:
    where = f"inputs[{index}]"
    if not isinstance(raw, dict):
        raise errors.InvalidInput(f"{where} must be an object {{name, shape, datatype, data}}")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise errors.InvalidInput(f'{where} needs a non-empty string "name"')
    where = f"input '{name}'"
    shape = raw.get("shape")
    if not isinstance(shape, list) or not all(
        isinstance(dim, int) and not isinstance(dim, bool) and dim >= 0 for dim in shape
    ):
        raise errors.InvalidInput(f'{where}: "shape" must be a list of non-negative integers, got {shape!r}')
    datatype = raw.get("datatype")
    if not isinstance(datatype, str):
        raise errors.InvalidInput(f'{where}: "datatype" must be one of {", ".join(tensors.DATATYPES)}')
    dtype = tensors.numpy_dtype(datatype)
    parameters = _parameters(raw.get("parameters"), where=where)
    count = math.prod(shape)
    size = parameters.get("binary_data_size")
    if size is not None:
        if not isinstance(size, int) or isinstance(size, bool) or size < 0 or offset + size > len(binary):
            raise errors.InvalidInput(
                f"{where}: binary_data_size {size!r} does not fit the {len(binary) - offset} binary bytes left"
            )
        chunk = binary[offset : offset + size]
        data = _from_binary(chunk, datatype=datatype, dtype=dtype, count=count, where=where)
        offset += size
    else:
        if "data" not in raw:
            raise errors.InvalidInput(f'{where} has no "data" (and no binary_data_size parameter)')
        data = _from_json(raw["data"], datatype=datatype, dtype=dtype, count=count, where=where)
    rest = {key: value for key, value in parameters.items() if key != "binary_data_size"}
    return tensors.Tensor(name=name, datatype=datatype, data=data.reshape(shape), parameters=rest), offset


def _from_json(value: Any, *, datatype: str, dtype: np.dtype[Any], count: int, where: str) -> np.ndarray:
    if datatype == "BYTES":
        flat = _flatten(value)
        if len(flat) != count:
            raise errors.InvalidInput(f"{where}: the shape holds {count} elements but data has {len(flat)}")
        out = np.empty(count, dtype=object)
        for position, item in enumerate(flat):
            if not isinstance(item, str):
                raise errors.InvalidInput(f"{where}: BYTES data must be strings, got {type(item).__name__}")
            out[position] = item.encode()
        return out
    try:
        array = np.asarray(value)
    except (ValueError, TypeError):
        raise errors.InvalidInput(f"{where}: data must be a (nested) list of {datatype} values of one shape") from None
    if array.dtype.kind not in "biuf":
        raise errors.InvalidInput(f"{where}: data must be numbers for {datatype}, got {_describe(array)}")
    if array.size != count:
        raise errors.InvalidInput(f"{where}: the shape holds {count} elements but data has {array.size}")
    if datatype == "BOOL":
        if array.dtype.kind != "b":
            raise errors.InvalidInput(f"{where}: BOOL data must be true/false")
    elif dtype.kind in _INT_KINDS:
        if array.dtype.kind not in "iub":
            raise errors.InvalidInput(f"{where}: {datatype} data must be integers, got {_describe(array)}")
        if array.size:
            info = np.iinfo(dtype)
            low, high = int(array.min()), int(array.max())
            if low < info.min or high > info.max:
                raise errors.InvalidInput(f"{where}: values {low}..{high} do not fit {datatype}")
    return array.astype(dtype, copy=False).reshape(-1)


def _describe(array: np.ndarray) -> str:
    return {"U": "strings", "S": "bytes", "O": "mixed or nested values"}.get(array.dtype.kind, str(array.dtype))


def _flatten(value: Any) -> list[Any]:
    if not isinstance(value, list):
        return [value]
    out: list[Any] = []
    stack = [iter(value)]
    while stack:
        for item in stack[-1]:
            if isinstance(item, list):
                stack.append(iter(item))
                break
            out.append(item)
        else:
            stack.pop()
    return out


def _from_binary(chunk: memoryview, *, datatype: str, dtype: np.dtype[Any], count: int, where: str) -> np.ndarray:
    if datatype == "BYTES":
        return deserialize_bytes(chunk, count=count, where=where)
    if len(chunk) != count * dtype.itemsize:
        raise errors.InvalidInput(
            f"{where}: {count} {datatype} elements take {count * dtype.itemsize} bytes, "
            f"binary_data_size is {len(chunk)}"
        )
    return np.frombuffer(chunk, dtype=dtype.newbyteorder("<"))


def deserialize_bytes(chunk: bytes | memoryview, *, count: int, where: str) -> np.ndarray:
    """BYTES elements: each a 4-byte little-endian length and then that many bytes."""
    if count * 4 > len(chunk):
        raise errors.InvalidInput(
            f"{where}: {len(chunk)} bytes cannot hold {count} BYTES elements (4 bytes each at least)"
        )
    out = np.empty(count, dtype=object)
    position = 0
    for index in range(count):
        if position + 4 > len(chunk):
            raise errors.InvalidInput(f"{where}: binary BYTES data ends before element {index} of {count}")
        (length,) = struct.unpack_from("<I", chunk, position)
        position += 4
        if position + length > len(chunk):
            raise errors.InvalidInput(f"{where}: binary BYTES element {index} runs past the end of the data")
        out[index] = bytes(chunk[position : position + length])
        position += length
    if position != len(chunk):
        raise errors.InvalidInput(
            f"{where}: binary BYTES data has {len(chunk) - position} bytes after {count} elements"
        )
    return out


def serialize_bytes(array: np.ndarray) -> bytes:
    parts = []
    for item in array.reshape(-1).tolist():
        value = item if isinstance(item, bytes) else str(item).encode()
        parts.append(struct.pack("<I", len(value)))
        parts.append(value)
    return b"".join(parts)


def select_outputs(response: messages.InferResponse, request: messages.InferRequest) -> list[tensors.Tensor]:
    """The outputs the caller asked for (all when it named none), in the order it asked."""
    if not request.outputs:
        return response.outputs
    by_name = {output.name: output for output in response.outputs}
    selected = []
    for wanted in request.outputs:
        if wanted.name not in by_name:
            raise errors.InvalidInput(f"output '{wanted.name}' does not exist; the model returns {sorted(by_name)}")
        selected.append(by_name[wanted.name])
    return selected


def binary_outputs(request: messages.InferRequest) -> set[str]:
    """Names of the outputs to send as binary data."""
    all_binary = request.parameters.get("binary_data_output") is True
    names = set()
    for wanted in request.outputs:
        flag = wanted.parameters.get("binary_data")
        if flag is True or (flag is None and all_binary):
            names.add(wanted.name)
    if all_binary and not request.outputs:
        names.add("*")
    return names


def encode(response: messages.InferResponse, request: messages.InferRequest) -> tuple[bytes, int | None]:
    """The response body, and the JSON header's length when binary data follows it."""
    binary_names = binary_outputs(request) if request.outputs or request.parameters else set()
    outputs = []
    chunks: list[bytes] = []
    for tensor in select_outputs(response, request):
        entry: dict[str, Any] = {"name": tensor.name, "datatype": tensor.datatype, "shape": list(tensor.data.shape)}
        if tensor.name in binary_names or "*" in binary_names:
            raw = tensor_bytes(tensor)
            entry["parameters"] = {**tensor.parameters, "binary_data_size": len(raw)}
            chunks.append(raw)
        else:
            if tensor.parameters:
                entry["parameters"] = tensor.parameters
            entry["data"] = _json_data(tensor)
        outputs.append(entry)
    document: dict[str, Any] = {"model_name": response.model_name, "outputs": outputs}
    if response.model_version is not None:
        document["model_version"] = response.model_version
    document["id"] = response.id if response.id is not None else request.id or ""
    if response.parameters:
        document["parameters"] = response.parameters
    header = v1.dump(document)
    if not chunks:
        return header, None
    return header + b"".join(chunks), len(header)


def tensor_bytes(tensor: tensors.Tensor) -> bytes:
    if tensor.datatype == "BYTES":
        return serialize_bytes(tensor.data)
    dtype = tensors.numpy_dtype(tensor.datatype).newbyteorder("<")
    return np.ascontiguousarray(tensor.data, dtype=dtype).tobytes()


def _json_data(tensor: tensors.Tensor) -> Any:
    flat = tensor.data.reshape(-1)
    if tensor.datatype == "BYTES":
        return v1.to_json_value(tensors.Tensor(name=tensor.name, datatype="BYTES", data=flat))
    return flat.tolist()


def model_metadata(*, name: str, version: str | None, platform: str, described: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "versions": [version] if version else [],
        "platform": platform,
        "inputs": described.get("inputs", []),
        "outputs": described.get("outputs", []),
    }


def encode_request(request: messages.InferRequest) -> bytes:
    """A V2 JSON request body (for forwarding to another V2 server)."""
    document: dict[str, Any] = {
        "inputs": [
            {"name": t.name, "datatype": t.datatype, "shape": list(t.data.shape), "data": _json_data(t)}
            for t in request.inputs
        ]
    }
    if request.id is not None:
        document["id"] = request.id
    if request.parameters:
        document["parameters"] = request.parameters
    if request.outputs:
        document["outputs"] = [{"name": o.name, "parameters": o.parameters} for o in request.outputs]
    return v1.dump(document)


def decode_response(*, body: bytes, header_length: int | None = None) -> messages.InferResponse:
    """A V2 response body (JSON, or JSON plus binary outputs) from another V2 server."""
    binary = memoryview(b"")
    if header_length is not None:
        body, binary = body[:header_length], memoryview(body)[header_length:]
    document = v1.load_json(body)
    if not isinstance(document, dict) or not isinstance(document.get("outputs"), list):
        raise errors.InvalidInput('a V2 response must be a JSON object with an "outputs" list')
    offset = 0
    outputs = []
    for index, raw in enumerate(document["outputs"]):
        tensor, offset = _decode_input(raw, index=index, binary=binary, offset=offset)
        outputs.append(tensor)
    return messages.InferResponse(
        model_name=str(document.get("model_name", "")),
        model_version=document.get("model_version"),
        id=document.get("id"),
        parameters=_parameters(document.get("parameters"), where="the response"),
        outputs=outputs,
    )


LOAD_PARAMETERS = ("storage_uri", "model_format")


def decode_load(body: bytes) -> messages.ModelSource:
    """A repository-extension load body, `{"parameters": {"storage_uri": ..., "model_format": ...}}`; empty is fine."""
    if not body.strip():
        return messages.ModelSource()
    document = v1.load_json(body)
    if not isinstance(document, dict):
        raise errors.InvalidInput('a load body must be a JSON object like {"parameters": {"storage_uri": "s3://..."}}')
    unknown = sorted(set(document) - {"parameters"})
    if unknown:
        raise errors.InvalidInput(f'a load body takes only "parameters"; it has {unknown}')
    parameters = document.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise errors.InvalidInput('"parameters" of a load must be an object')
    unknown = sorted(set(parameters) - set(LOAD_PARAMETERS))
    if unknown:
        raise errors.InvalidInput(
            f"load parameters {unknown} are not supported; this server takes {', '.join(LOAD_PARAMETERS)}"
        )
    values: dict[str, str | None] = {}
    for key in LOAD_PARAMETERS:
        value = parameters.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise errors.InvalidInput(f"load parameter {key!r} must be a non-empty string, got {value!r}")
        values[key] = value.strip() if isinstance(value, str) else None
    return messages.ModelSource(storage_uri=values["storage_uri"], model_format=values["model_format"])
