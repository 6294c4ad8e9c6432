"""The SHAP tabular explainer: explanations for a scikit-learn model have one value per feature and class, add up
(with the base value) to the model's probabilities, and use background.npy when present; a bad background file is
a clear error."""

from __future__ import annotations

import pathlib

import joblib
import numpy as np
import pytest
from modelplane.runtime import errors, explaining
from modelplane.runtime.frameworks import sklearn
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression


@pytest.fixture
def iris_item(tmp_path: pathlib.Path) -> sklearn.SKLearnModel:
    features, labels = load_iris(return_X_y=True)
    joblib.dump(LogisticRegression(max_iter=1000).fit(features, labels), tmp_path / "model.joblib")
    np.save(tmp_path / "background.npy", features[::10])
    item = sklearn.SKLearnModel(name="iris", model_dir=tmp_path)
    item.load()
    return item


def test_shap_values_add_up(iris_item: sklearn.SKLearnModel) -> None:
    probe = np.array([[6.8, 2.8, 4.8, 1.4]])
    result = explaining.explain_tabular(model=iris_item, array=probe)["explanations"]
    values = np.asarray(result["shap_values"])
    assert values.shape == (1, 4, 3)  # rows, features, classes
    total = values.sum(axis=1) + np.asarray(result["base_values"])
    assert np.allclose(total, iris_item.estimator.predict_proba(probe), atol=1e-6)


def test_bad_background(iris_item: sklearn.SKLearnModel) -> None:
    assert iris_item.model_dir is not None
    np.save(iris_item.model_dir / "background.npy", np.zeros((3, 2)))
    with pytest.raises(errors.InferenceError, match=r"must be \[rows, 4\]"):
        explaining.background(iris_item, columns=4)
