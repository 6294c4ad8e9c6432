"""Covers models: the benchmark models are trained and saved once, and their payloads fit both protocols."""

from __future__ import annotations

import json
import pathlib

import pytest
from modelplane.loadtest import errors, models


def test_sklearn_forest_is_built_once(tmp_path: pathlib.Path) -> None:
    built = models.build(kind="sklearn", workdir=tmp_path)
    assert built.model_file == tmp_path / "sklearn" / "model.joblib"
    stamp = built.model_file.stat().st_mtime_ns
    assert models.build(kind="sklearn", workdir=tmp_path).model_file.stat().st_mtime_ns == stamp
    v2 = json.loads(built.payload("v2"))
    assert v2["inputs"][0]["datatype"] == "FP64"
    assert json.loads(built.payload("v1")) == {"instances": [models.FEATURES]}


def test_onnx_mlp_is_a_float_graph(tmp_path: pathlib.Path) -> None:
    import onnx

    built = models.build(kind="onnx", workdir=tmp_path)
    graph = onnx.load(str(built.model_file)).graph
    assert graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert json.loads(built.payload("v2"))["inputs"][0]["datatype"] == "FP32"


def test_unknown_kind_is_refused(tmp_path: pathlib.Path) -> None:
    with pytest.raises(errors.InvalidRun, match="not one of sklearn, onnx"):
        models.build(kind="tensorflow", workdir=tmp_path)
