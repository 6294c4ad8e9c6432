"""scikit-learn adapter: load a joblib file trained here, predict, metadata, the pickle warning, load errors, and
the linear fast path returning exactly scikit-learn's own answers (same values, same dtype) for every linear model
it covers, with fallback for other input."""

from __future__ import annotations

import logging
import pathlib

import joblib
import numpy as np
import pytest
from modelplane.runtime import errors, messages, tensors
from modelplane.runtime.frameworks import sklearn
from sklearn.datasets import load_iris, make_classification, make_regression
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import (
    ElasticNet,
    Lasso,
    LinearRegression,
    LogisticRegression,
    Perceptron,
    Ridge,
    RidgeClassifier,
    SGDClassifier,
    SGDRegressor,
)
from sklearn.svm import LinearSVC


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


CLASSIFIERS = [
    LogisticRegression(max_iter=2000),
    RidgeClassifier(),
    LinearSVC(),
    SGDClassifier(random_state=0),
    Perceptron(random_state=0),
]
REGRESSORS = [LinearRegression(), Ridge(), Lasso(alpha=0.01), ElasticNet(alpha=0.01), SGDRegressor(random_state=0)]


@pytest.mark.parametrize("classes", [2, 3], ids=["binary", "multiclass"])
@pytest.mark.parametrize("estimator", CLASSIFIERS, ids=lambda e: type(e).__name__)
def test_fast_path_equals_sklearn_for_classifiers(estimator: object, classes: int) -> None:
    features, labels = make_classification(
        n_samples=400, n_features=6, n_informative=4, n_classes=classes, random_state=1
    )
    fitted = estimator.fit(features, labels)  # type: ignore[attr-defined]
    fast = sklearn.linear_fast_path(fitted)
    assert fast is not None
    probe = np.random.default_rng(2).normal(scale=3.0, size=(500, 6))
    expected = fitted.predict(probe)
    got = fast(probe)
    assert got.dtype == expected.dtype
    assert np.array_equal(got, expected)


@pytest.mark.parametrize("estimator", REGRESSORS, ids=lambda e: type(e).__name__)
def test_fast_path_equals_sklearn_for_regressors(estimator: object) -> None:
    features, target = make_regression(n_samples=300, n_features=5, random_state=3)
    fitted = estimator.fit(features, target)  # type: ignore[attr-defined]
    fast = sklearn.linear_fast_path(fitted)
    assert fast is not None
    probe = np.random.default_rng(4).normal(size=(200, 5))
    assert np.array_equal(fast(probe), fitted.predict(probe))


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
    assert sklearn.linear_fast_path(item.estimator) is None
    assert item.predict_array(np.array([[6.8, 2.8, 4.8, 1.4]])).tolist() == [1]


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
