"""Tensors and datatypes: the V2 datatype table both ways, strings become UTF-8 bytes, JSON values become numeric
or object arrays, and unknown datatypes are InvalidInput."""

from __future__ import annotations

import numpy as np
import pytest
from modelplane.runtime import errors, tensors


def test_datatype_table_roundtrips() -> None:
    for name in tensors.DATATYPES:
        if name != "BYTES":
            assert tensors.datatype_of(np.zeros(1, dtype=tensors.numpy_dtype(name))) == name
    assert tensors.datatype_of(np.array(["a"])) == "BYTES"
    with pytest.raises(errors.InvalidInput, match="unknown datatype 'FP8'"):
        tensors.numpy_dtype("FP8")


def test_from_array_and_json() -> None:
    tensor = tensors.Tensor.from_array(name="t", array=["a", "é"])
    assert tensor.datatype == "BYTES"
    assert tensor.data.tolist() == [b"a", "é".encode()]
    assert tensors.array_from_json([[1, 2], [3, 4]]).dtype.kind == "i"
    ragged = tensors.array_from_json([[1], [2, 3]])
    assert ragged.dtype == object
    assert ragged.tolist() == [[1], [2, 3]]
    assert tensors.array_from_json("x").tolist() == ["x"]
