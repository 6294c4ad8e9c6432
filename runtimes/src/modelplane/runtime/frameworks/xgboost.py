"""XGBoost boosters saved with `save_model` as JSON (`.json`) or UBJSON (`.ubj`), or the legacy `.bst`."""

from __future__ import annotations

import numpy as np
from modelplane.runtime import errors, model
from modelplane.runtime.frameworks import files

SUFFIXES = (".ubj", ".json", ".bst")


class XGBoostModel(model.ArrayModel):
    platform = "xgboost"

    def load(self) -> None:
        path = files.find_one(self.model_dir, suffixes=SUFFIXES, format_name="XGBoost")
        import xgboost

        booster = xgboost.Booster()
        try:
            booster.load_model(str(path))
        except xgboost.core.XGBoostError as exc:
            raise errors.ModelLoadError(f"{path.name} is not an XGBoost model: {exc}") from exc
        booster.set_param({"nthread": 1})
        self.booster = booster
        self.ready = True

    def n_features(self) -> int | None:
        return int(self.booster.num_features())

    def predict_array(self, array: np.ndarray) -> np.ndarray:
        result: np.ndarray = self.booster.inplace_predict(array)
        return result

    def explain_function(self):  # type: ignore[no-untyped-def]
        return self.predict_array
