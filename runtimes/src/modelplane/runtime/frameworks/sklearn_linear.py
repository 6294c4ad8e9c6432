"""Serving plain linear scikit-learn models without importing scikit-learn into the server.

Importing scikit-learn (and the SciPy it pulls in) costs the server ~110 MB of memory, while predicting with a
fitted linear model is one matrix product. So the pickle is opened in a short-lived child process
(`python -m modelplane.runtime.frameworks.sklearn_linear MODEL OUT`), which writes the model's `coef_`,
`intercept_` and `classes_` to an .npz file when the model is one of the linear types below, and nothing
otherwise. The server then predicts with scikit-learn's own arithmetic (`X @ coef_.T + intercept_`, then the
sign or argmax for classifiers), which returns exactly what the model's `predict` returns (tested); any other
model is loaded with scikit-learn as usual.
"""

from __future__ import annotations

import dataclasses
import pathlib
import subprocess
import sys
import tempfile
from typing import Any

import numpy as np

CLASSIFIERS = ("LogisticRegression", "RidgeClassifier", "LinearSVC", "SGDClassifier", "Perceptron")
REGRESSORS = ("LinearRegression", "Ridge", "Lasso", "ElasticNet", "SGDRegressor")
_MODULES = ("sklearn.linear_model", "sklearn.svm")


@dataclasses.dataclass(frozen=True)
class LinearModel:
    kind: str
    coef: np.ndarray
    intercept: np.ndarray
    classes: np.ndarray | None

    @property
    def n_features(self) -> int:
        return int(self.coef.shape[-1])

    def predict(self, array: np.ndarray) -> np.ndarray:
        """scikit-learn's predict for this model; the caller passes finite numbers of the right width."""
        scores = array.astype(np.float64, copy=False) @ self.coef.T + self.intercept
        if self.classes is None:
            return scores  # type: ignore[no-any-return]
        if scores.ndim == 2 and scores.shape[1] == 1:
            scores = scores.reshape(-1)
        indices = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes[indices]  # type: ignore[no-any-return]


def parameters_of(estimator: Any) -> dict[str, np.ndarray] | None:
    """The arrays that define a supported linear model, or None for any other object."""
    kind = type(estimator).__name__
    if not type(estimator).__module__.startswith(_MODULES) or kind not in CLASSIFIERS + REGRESSORS:
        return None
    coef = getattr(estimator, "coef_", None)
    intercept = getattr(estimator, "intercept_", None)
    if not isinstance(coef, np.ndarray) or coef.dtype != np.float64 or intercept is None:
        return None
    found = {"kind": np.array(kind), "coef": coef, "intercept": np.asarray(intercept, dtype=np.float64)}
    if kind in CLASSIFIERS:
        classes = np.asarray(estimator.classes_)
        if classes.dtype == object:
            if not all(isinstance(label, str) for label in classes.tolist()):
                return None
            classes = classes.astype(str)
        found["classes"] = classes
    return found


def extract(path: pathlib.Path, *, timeout_s: float = 300.0) -> LinearModel | None:
    """Open the pickle in a child process; a LinearModel when it holds a supported linear model, else None."""
    with tempfile.TemporaryDirectory(prefix="modelplane-sklearn-") as scratch:
        out = pathlib.Path(scratch) / "linear.npz"
        done = subprocess.run(
            [sys.executable, "-m", "modelplane.runtime.frameworks.sklearn_linear", str(path), str(out)],
            capture_output=True,
            timeout=timeout_s,
            check=False,
        )
        if done.returncode != 0 or not out.exists():
            return None
        with np.load(out, allow_pickle=False) as data:
            return LinearModel(
                kind=str(data["kind"]),
                coef=data["coef"],
                intercept=data["intercept"],
                classes=data["classes"] if "classes" in data.files else None,
            )


def main(argv: list[str]) -> int:
    import joblib

    found = parameters_of(joblib.load(argv[0]))
    if found is None:
        return 0
    with open(argv[1], "wb") as out:
        np.savez(out, **found)  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
