"""XGBoost adapter: boosters trained here and saved as JSON and UBJSON load, predict what xgboost predicts, and
describe their width; a file that is not a booster is a load error."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest
import xgboost
from modelplane.runtime import errors
from modelplane.runtime.frameworks import xgboost as adapter
from sklearn.datasets import load_iris


@pytest.mark.parametrize("suffix", [".json", ".ubj"])
def test_load_predict_metadata(tmp_path: pathlib.Path, suffix: str) -> None:
    features, labels = load_iris(return_X_y=True)
    booster = xgboost.train(
        {"objective": "multi:softmax", "num_class": 3, "max_depth": 2},
        xgboost.DMatrix(features, label=labels),
        num_boost_round=5,
    )
    booster.save_model(str(tmp_path / f"model{suffix}"))
    item = adapter.XGBoostModel(name="x", model_dir=tmp_path)
    item.load()
    probe = np.array([[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]])
    assert item.predict_array(probe).tolist() == booster.predict(xgboost.DMatrix(probe)).tolist()
    assert item.predict_array(probe).tolist() == [1.0, 1.0]
    assert item.metadata()["inputs"][0]["shape"] == [-1, 4]
    assert item.platform == "xgboost"


def test_not_a_booster(tmp_path: pathlib.Path) -> None:
    (tmp_path / "model.ubj").write_bytes(b"\x00\x01nonsense")
    with pytest.raises(errors.ModelLoadError, match="not an XGBoost model"):
        adapter.XGBoostModel(name="x", model_dir=tmp_path).load()
