"""ONNX adapter: a scikit-learn model converted to ONNX here loads in ONNX Runtime, predicts the same labels as
the original, casts FP64 input to the graph's FP32, reports its tensors in metadata, selects requested outputs,
and turns a wrong shape into InvalidInput."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest
from modelplane.runtime import errors, messages, tensors
from modelplane.runtime.frameworks import onnx as adapter
from skl2onnx import to_onnx
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression


@pytest.fixture(scope="module")
def onnx_dir(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    features, labels = load_iris(return_X_y=True)
    fitted = LogisticRegression(max_iter=1000).fit(features.astype(np.float32), labels)
    directory = tmp_path_factory.mktemp("onnx")
    (directory / "model.onnx").write_bytes(
        to_onnx(fitted, features[:1].astype(np.float32), options={"zipmap": False}).SerializeToString()
    )
    return directory


def infer(item: adapter.ONNXModel, data: np.ndarray, outputs: list[str] | None = None) -> messages.InferResponse:
    request = messages.InferRequest(
        model_name="o",
        inputs=[tensors.Tensor(name="input-0", datatype=tensors.datatype_of(data), data=data)],
        outputs=[messages.RequestedOutput(name=name) for name in outputs or []],
    )
    return item.predict(request)


def test_load_predict_metadata(onnx_dir: pathlib.Path) -> None:
    item = adapter.ONNXModel(name="o", model_dir=onnx_dir)
    item.load()
    described = item.metadata()
    assert described["inputs"] == [{"name": "X", "datatype": "FP32", "shape": [-1, 4]}]
    assert [o["name"] for o in described["outputs"]] == ["label", "probabilities"]
    response = infer(item, np.array([[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]))
    assert response.outputs[0].data.tolist() == [1, 1]
    assert response.outputs[1].data.shape == (2, 3)
    only = infer(item, np.array([[6.8, 2.8, 4.8, 1.4]]), outputs=["probabilities"])
    assert [o.name for o in only.outputs] == ["probabilities"]


def test_wrong_shape(onnx_dir: pathlib.Path) -> None:
    item = adapter.ONNXModel(name="o", model_dir=onnx_dir)
    item.load()
    with pytest.raises(errors.InvalidInput, match="ONNX Runtime rejected the input"):
        infer(item, np.zeros((1, 3)))
