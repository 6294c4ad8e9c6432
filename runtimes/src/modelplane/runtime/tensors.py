"""Tensors and the Open Inference Protocol's datatypes.

A `Tensor` is a named numpy array with its V2 datatype. Every protocol decodes into tensors and encodes out of them,
so the datatype table lives here once: BOOL, INT8..INT64, UINT8..UINT64, FP16, FP32, FP64 and BYTES (an object
array whose elements are `bytes`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from modelplane.runtime import errors

_NUMPY_BY_DATATYPE: dict[str, np.dtype[Any]] = {
    "BOOL": np.dtype(np.bool_),
    "INT8": np.dtype(np.int8),
    "INT16": np.dtype(np.int16),
    "INT32": np.dtype(np.int32),
    "INT64": np.dtype(np.int64),
    "UINT8": np.dtype(np.uint8),
    "UINT16": np.dtype(np.uint16),
    "UINT32": np.dtype(np.uint32),
    "UINT64": np.dtype(np.uint64),
    "FP16": np.dtype(np.float16),
    "FP32": np.dtype(np.float32),
    "FP64": np.dtype(np.float64),
    "BYTES": np.dtype(object),
}
_DATATYPE_BY_CHAR: dict[str, str] = {dtype.char: name for name, dtype in _NUMPY_BY_DATATYPE.items() if name != "BYTES"}

DATATYPES: tuple[str, ...] = tuple(_NUMPY_BY_DATATYPE)


def numpy_dtype(datatype: str) -> np.dtype[Any]:
    """The numpy dtype that holds a V2 datatype; BYTES is an object array of `bytes`."""
    try:
        return _NUMPY_BY_DATATYPE[datatype]
    except (KeyError, TypeError):
        raise errors.InvalidInput(f"unknown datatype {datatype!r}; use one of {', '.join(DATATYPES)}") from None


def datatype_of(array: np.ndarray) -> str:
    """The V2 datatype of a numpy array; strings, bytes and Python objects are BYTES."""
    name = _DATATYPE_BY_CHAR.get(array.dtype.char)
    if name is not None:
        return name
    if array.dtype.kind in "USO":
        return "BYTES"
    if array.dtype.kind == "i":
        return "INT64"
    if array.dtype.kind == "u":
        return "UINT64"
    if array.dtype.kind == "f":
        return "FP64"
    raise errors.InferenceError(f"the model returned an array of dtype {array.dtype}, which no V2 datatype can carry")


@dataclasses.dataclass(slots=True)
class Tensor:
    """A named array. `data.shape` is the tensor's shape; `datatype` is its V2 datatype."""

    name: str
    datatype: str
    data: np.ndarray
    parameters: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def shape(self) -> list[int]:
        return list(self.data.shape)

    @classmethod
    def from_array(cls, *, name: str, array: Any, parameters: dict[str, Any] | None = None) -> Tensor:
        """Wrap any array-like, choosing the datatype from its dtype; str elements become UTF-8 bytes."""
        data = np.asarray(array)
        if data.dtype.kind == "U":
            data = as_bytes_array(data)
        return cls(name=name, datatype=datatype_of(data), data=data, parameters=parameters or {})


def as_bytes_array(array: np.ndarray) -> np.ndarray:
    """An object array of `bytes` with the same shape (str elements encoded as UTF-8)."""
    out = np.empty(array.shape, dtype=object)
    flat = out.reshape(-1)
    for index, item in enumerate(array.reshape(-1).tolist()):
        flat[index] = (
            item.encode() if isinstance(item, str) else item if isinstance(item, bytes) else str(item).encode()
        )
    return out


def array_from_json(value: Any) -> np.ndarray:
    """A numpy array from decoded JSON: numeric lists become numeric arrays, anything else a 1-D object array.

    Strings stay `str` here (V1 instances are JSON values, not V2 BYTES); ragged or mixed lists keep one element per
    row so a custom model still sees the caller's objects.
    """
    try:
        array = np.asarray(value)
    except (ValueError, TypeError):
        array = None
    if array is not None and array.dtype.kind in "biuf" and array.ndim:
        return array
    if isinstance(value, list):
        out = np.empty(len(value), dtype=object)
        for index, item in enumerate(value):
            out[index] = item
        return out
    out = np.empty(1, dtype=object)
    out[0] = value
    return out
