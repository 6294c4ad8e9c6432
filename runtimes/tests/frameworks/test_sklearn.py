"""scikit-learn adapter: load a joblib file trained here, predict, metadata, the pickle warning, load errors,
non-linear models served by scikit-learn itself, NaN rejected, and the wrong width."""

from __future__ import annotations

import logging
import pathlib

import joblib
import numpy as np
import pytest
from modelplane.runtime import errors, messages, tensors
from modelplane.runtime.frameworks import sklearn, sklearn_linear
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import (
    LogisticRegression,
)


def load(directory: pathlib.Path, estimator: object) -> sklearn.SKLearnModel:
    joblib.dump(estimator, directory / "model.joblib")
    item = sklearn.SKLearnModel(name="m", model_dir=directory)
    item.load()
    return item


def test_iris_predicts_and_describes(tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture) -> None:
    features, labels = load_iris(return_X_y=True)
    with caplog.at_level(logging.WARNING):
        item = load(tmp_path, LogisticRegression(max_iter=1000).fit(features, labels))
    assert "runs code from the file" in caplog.text
    assert item.ready
    request = messages.InferRequest(
        model_name="m",
        inputs=[tensors.Tensor(name="x", datatype="FP64", data=np.array([[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]))],
    )
    assert item.predict(request).outputs[0].data.tolist() == [1, 1]
    assert item.metadata()["inputs"] == [{"name": "input-0", "datatype": "FP64", "shape": [-1, 4]}]
    assert item.metadata()["outputs"][0]["datatype"] == "INT64"


def test_string_labels_and_fallbacks(tmp_path: pathlib.Path) -> None:
    features, labels = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[labels]
    item = load(tmp_path, LogisticRegression(max_iter=1000).fit(features, names))
    assert item.predict_array(np.array([[6.8, 2.8, 4.8, 1.4]])).tolist() == ["versicolor"]
    # int input and float32 input go through scikit-learn itself and agree
    assert item.predict_array(np.array([[7, 3, 5, 1]])).tolist() == item.estimator.predict([[7, 3, 5, 1]]).tolist()
    assert item.predict_array(np.array([[6.8, 2.8, 4.8, 1.4]], dtype=np.float32)).tolist() == ["versicolor"]
    assert item.metadata()["outputs"][0]["datatype"] == "BYTES"


def test_tree_models_have_no_fast_path(tmp_path: pathlib.Path) -> None:
    features, labels = load_iris(return_X_y=True)
    item = load(tmp_path, RandomForestClassifier(n_estimators=5, random_state=0).fit(features, labels))
    assert item.linear is None
    assert sklearn_linear.parameters_of(item.estimator) is None
    assert item.predict_array(np.array([[6.8, 2.8, 4.8, 1.4]])).tolist() == [1]


def test_non_finite_input_is_invalid(tmp_path: pathlib.Path) -> None:
    features, labels = load_iris(return_X_y=True)
    item = load(tmp_path, LogisticRegression(max_iter=1000).fit(features, labels))
    with pytest.raises(errors.InvalidInput, match="NaN or infinity"):
        item.predict_array(np.array([[np.nan, 1.0, 1.0, 1.0]]))


def test_wrong_width_is_invalid_input(tmp_path: pathlib.Path) -> None:
    features, labels = load_iris(return_X_y=True)
    item = load(tmp_path, LogisticRegression(max_iter=1000).fit(features, labels))
    request = messages.InferRequest(
        model_name="m", inputs=[tensors.Tensor(name="x", datatype="FP64", data=np.zeros((2, 3)))]
    )
    with pytest.raises(errors.InvalidInput, match=r"expects input of shape \[N, 4\], got \[2, 3\]"):
        item.predict(request)


def test_load_errors(tmp_path: pathlib.Path) -> None:
    item = sklearn.SKLearnModel(name="m", model_dir=tmp_path)
    with pytest.raises(errors.ModelLoadError, match="no scikit-learn model file"):
        item.load()
    (tmp_path / "model.joblib").write_bytes(b"garbage")
    with pytest.raises(errors.ModelLoadError, match="not a loadable joblib/pickle file"):
        item.load()
    joblib.dump({"not": "a model"}, tmp_path / "model.joblib")
    with pytest.raises(errors.ModelLoadError, match="has no predict"):
        item.load()
    joblib.dump({"a": 1}, tmp_path / "other.pkl")
    with pytest.raises(errors.ModelLoadError, match="several scikit-learn model files"):
        item.load()
