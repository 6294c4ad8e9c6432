"""LightGBM boosters saved as text (`save_model` -> `.txt`)."""

from __future__ import annotations

import numpy as np
from modelplane.runtime import errors, model
from modelplane.runtime.frameworks import files

SUFFIXES = (".txt",)


class LightGBMModel(model.ArrayModel):
    platform = "lightgbm"

    def load(self) -> None:
        path = files.find_one(self.model_dir, suffixes=SUFFIXES, format_name="LightGBM")
        import lightgbm

        try:
            self.booster = lightgbm.Booster(model_file=str(path))
        except lightgbm.basic.LightGBMError as exc:
            raise errors.ModelLoadError(f"{path.name} is not a LightGBM model: {exc}") from exc
        self.ready = True

    def n_features(self) -> int | None:
        return int(self.booster.num_feature())

    def predict_array(self, array: np.ndarray) -> np.ndarray:
        return np.asarray(self.booster.predict(array, num_threads=1))

    def explain_function(self):  # type: ignore[no-untyped-def]
        return self.predict_array
