"""scikit-learn models saved with joblib or pickle.

Unpickling runs code from the file, so the load logs a warning: serve only model files you trust. Linear models
get a fast path that computes `X @ coef_.T + intercept_` in numpy exactly as scikit-learn does (scikit-learn's
input validation costs ~100 µs per call on a 2x4 input); the fast path is used only for finite float64 input of
the right width and falls back to scikit-learn's own predict for anything else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
from modelplane.runtime import errors, model
from modelplane.runtime.frameworks import files

log = logging.getLogger(__name__)

SUFFIXES = (".joblib", ".pkl", ".pickle")
_LINEAR_CLASSIFIERS = ("LogisticRegression", "RidgeClassifier", "LinearSVC", "SGDClassifier", "Perceptron")
_LINEAR_REGRESSORS = ("LinearRegression", "Ridge", "Lasso", "ElasticNet", "SGDRegressor")


class SKLearnModel(model.ArrayModel):
    platform = "sklearn"

    def load(self) -> None:
        path = files.find_one(self.model_dir, suffixes=SUFFIXES, format_name="scikit-learn")
        log.warning(
            "loading a pickled model runs code from the file; serve only files you trust",
            extra={"model": self.name, "path": str(path)},
        )
        import joblib

        try:
            estimator = joblib.load(path)
        except Exception as exc:
            raise errors.ModelLoadError(f"{path.name} is not a loadable joblib/pickle file: {exc}") from exc
        if not callable(getattr(estimator, "predict", None)):
            raise errors.ModelLoadError(f"{path.name} holds a {type(estimator).__name__}, which has no predict()")
        self.estimator = estimator
        self._fast = linear_fast_path(estimator)
        self.ready = True

    def n_features(self) -> int | None:
        count = getattr(self.estimator, "n_features_in_", None)
        return int(count) if count is not None else None

    def predict_array(self, array: np.ndarray) -> np.ndarray:
        fast = self._fast
        if fast is not None and array.dtype == np.float64 and np.isfinite(array).all():
            return fast(array)
        result: np.ndarray = self.estimator.predict(array)
        return result

    def explain_function(self) -> Callable[[np.ndarray], np.ndarray]:
        proba = getattr(self.estimator, "predict_proba", None)
        chosen: Callable[[np.ndarray], np.ndarray] = proba if callable(proba) else self.estimator.predict
        return chosen

    def metadata(self) -> dict[str, Any]:
        described = super().metadata()
        classes = getattr(self.estimator, "classes_", None)
        if classes is not None:
            described["outputs"][0]["datatype"] = "INT64" if np.asarray(classes).dtype.kind in "iu" else "BYTES"
        return described


def linear_fast_path(estimator: Any) -> Callable[[np.ndarray], np.ndarray] | None:
    """scikit-learn's own arithmetic for plain linear models, minus its per-call validation; None for others."""
    kind = type(estimator).__name__
    module = type(estimator).__module__
    if not module.startswith("sklearn.linear_model") and not module.startswith("sklearn.svm"):
        return None
    coef = getattr(estimator, "coef_", None)
    intercept = getattr(estimator, "intercept_", None)
    if not isinstance(coef, np.ndarray) or coef.dtype != np.float64 or intercept is None:
        return None
    coef_t = coef.T
    if kind in _LINEAR_CLASSIFIERS:
        classes = getattr(estimator, "classes_", None)
        if classes is None:
            return None

        def classify(array: np.ndarray) -> np.ndarray:
            scores = array @ coef_t + intercept
            if scores.ndim == 2 and scores.shape[1] == 1:
                scores = scores.reshape(-1)
            indices = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
            result: np.ndarray = classes[indices]
            return result

        return classify
    if kind in _LINEAR_REGRESSORS:

        def regress(array: np.ndarray) -> np.ndarray:
            result: np.ndarray = array @ coef_t + intercept
            return result

        return regress
    return None
