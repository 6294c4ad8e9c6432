"""The SHAP tabular explainer: explanations for a scikit-learn model have one value per feature and class, add up
(with the base value) to the model's probabilities, and use background.npy (or background.json) when present; a bad
or doubled background file is a clear error; and a real server answers `:explain` over HTTP for a random forest
(one that is explained in process, not by a linear shortcut) with values that add up to its probabilities."""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from typing import Any

import httpx
import joblib
import numpy as np
import pytest
from modelplane.runtime import errors, explaining
from modelplane.runtime.frameworks import sklearn
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

Server = Any  # conftest.Server: a started server process with its ports and log


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


def test_background_json_and_bad_files(tmp_path: pathlib.Path) -> None:
    (tmp_path / "background.json").write_text("[[1, 2], [3, 4]]")
    assert explaining.read_background(tmp_path).tolist() == [[1.0, 2.0], [3.0, 4.0]]
    np.save(tmp_path / "background.npy", np.zeros((1, 2)))
    with pytest.raises(errors.ModelLoadError, match=r"holds both background\.npy and background\.json"):
        explaining.read_background(tmp_path)
    (tmp_path / "background.npy").unlink()
    (tmp_path / "background.json").write_text('[["a", "b"]]')
    with pytest.raises(errors.ModelLoadError, match="cannot be read as rows of numbers"):
        explaining.read_background(tmp_path)
    (tmp_path / "background.json").write_text("[1, 2, 3]")
    with pytest.raises(errors.ModelLoadError, match=r"\[rows, features\] array .* shape \[3\]"):
        explaining.read_background(tmp_path)
    assert explaining.read_background(tmp_path / "absent") is None


def test_explain_over_http(start_server: Callable[..., Server], tmp_path: pathlib.Path) -> None:
    features, labels = load_iris(return_X_y=True)
    forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(features, labels)
    joblib.dump(forest, tmp_path / "model.joblib")
    np.save(tmp_path / "background.npy", features[::25])
    server = start_server("--model_name", "forest", "--model_dir", str(tmp_path))
    rows = [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]
    reply = httpx.post(f"{server.url}/v1/models/forest:explain", json={"instances": rows}, timeout=120)
    assert reply.status_code == 200, reply.text
    result = reply.json()["explanations"]
    values = np.asarray(result["shap_values"])
    assert values.shape == (2, 4, 3)
    total = values.sum(axis=1) + np.asarray(result["base_values"])
    assert np.allclose(total, forest.predict_proba(np.asarray(rows)), atol=1e-6)
    assert result["data"] == rows
    bad = httpx.post(f"{server.url}/v1/models/forest:explain", json={"instances": [[1.0, 2.0]]}, timeout=30)
    assert bad.status_code == 400
    assert "expects input of shape [N, 4]" in bad.json()["error"]
