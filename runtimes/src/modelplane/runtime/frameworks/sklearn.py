"""scikit-learn models saved with joblib or pickle.

Unpickling runs code from the file, so the load logs a warning: serve only model files you trust. Plain linear
models are served without importing scikit-learn into the server (see `sklearn_linear`), with exactly
scikit-learn's results; every other estimator is unpickled here and its own `predict` is called. Input must be
finite numbers of the width the model was fitted on (scikit-learn itself rejects NaN and infinity).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
from modelplane.runtime import errors, model
from modelplane.runtime.frameworks import files, sklearn_linear

log = logging.getLogger(__name__)

SUFFIXES = (".joblib", ".pkl", ".pickle")


class SKLearnModel(model.ArrayModel):
    platform = "sklearn"

    def load(self) -> None:
        path = files.find_one(self.model_dir, suffixes=SUFFIXES, format_name="scikit-learn")
        log.warning(
            "loading a pickled model runs code from the file; serve only files you trust",
            extra={"model": self.name, "path": str(path)},
        )
        self._path = path
        self._estimator: Any = None
        self.linear = sklearn_linear.extract(path)
        if self.linear is None:
            self._estimator = self._unpickle()
        self.ready = True

    def _unpickle(self) -> Any:
        import joblib

        try:
            estimator = joblib.load(self._path)
        except Exception as exc:
            raise errors.ModelLoadError(f"{self._path.name} is not a loadable joblib/pickle file: {exc}") from exc
        if not callable(getattr(estimator, "predict", None)):
            raise errors.ModelLoadError(f"{self._path.name} holds a {type(estimator).__name__}, which has no predict()")
        return estimator

    @property
    def estimator(self) -> Any:
        """The unpickled estimator; for linear models served without scikit-learn, unpickled on first use."""
        if self._estimator is None:
            self._estimator = self._unpickle()
        return self._estimator

    def n_features(self) -> int | None:
        if self.linear is not None:
            return self.linear.n_features
        count = getattr(self.estimator, "n_features_in_", None)
        return int(count) if count is not None else None

    def predict_array(self, array: np.ndarray) -> np.ndarray:
        if not np.isfinite(array).all():
            raise errors.InvalidInput(f"model '{self.name}' takes finite numbers; the input holds NaN or infinity")
        if self.linear is not None:
            return self.linear.predict(array)
        result: np.ndarray = self.estimator.predict(array)
        return result

    def explain_function(self) -> Callable[[np.ndarray], np.ndarray]:
        proba = getattr(self.estimator, "predict_proba", None)
        chosen: Callable[[np.ndarray], np.ndarray] = proba if callable(proba) else self.estimator.predict
        return chosen

    def metadata(self) -> dict[str, Any]:
        described = super().metadata()
        classes = self.linear.classes if self.linear is not None else getattr(self.estimator, "classes_", None)
        if classes is not None:
            described["outputs"][0]["datatype"] = "INT64" if np.asarray(classes).dtype.kind in "iu" else "BYTES"
        return described
