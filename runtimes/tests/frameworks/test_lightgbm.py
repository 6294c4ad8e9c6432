"""LightGBM adapter: a booster trained here and saved as text loads, predicts what lightgbm predicts, and
describes its width; a text file that is not a booster is a load error."""

from __future__ import annotations

import pathlib

import lightgbm
import numpy as np
import pytest
from modelplane.runtime import errors
from modelplane.runtime.frameworks import lightgbm as adapter
from sklearn.datasets import load_iris


def test_load_predict_metadata(tmp_path: pathlib.Path) -> None:
    features, labels = load_iris(return_X_y=True)
    booster = lightgbm.train(
        {"objective": "multiclass", "num_class": 3, "verbose": -1, "num_threads": 1},
        lightgbm.Dataset(features, label=labels),
        num_boost_round=10,
    )
    booster.save_model(str(tmp_path / "model.txt"))
    item = adapter.LightGBMModel(name="l", model_dir=tmp_path)
    item.load()
    probe = np.array([[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]])
    scores = item.predict_array(probe)
    assert np.allclose(scores, booster.predict(probe))
    assert scores.argmax(axis=1).tolist() == [1, 1]
    assert item.metadata()["inputs"][0]["shape"] == [-1, 4]


def test_not_a_booster(tmp_path: pathlib.Path) -> None:
    (tmp_path / "model.txt").write_text("hello")
    with pytest.raises(errors.ModelLoadError, match="not a LightGBM model"):
        adapter.LightGBMModel(name="l", model_dir=tmp_path).load()
