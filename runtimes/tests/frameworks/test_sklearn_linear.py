"""Linear scikit-learn models served without scikit-learn in the server: for every linear model covered, binary
and multiclass, numeric and string labels, and float64, float32, integer and boolean input, the served predictions
equal the model's own `predict` (same values, same dtype); other objects are not taken; and loading a linear model
through the adapter leaves scikit-learn out of the server process."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import joblib
import numpy as np
import pytest
from modelplane.runtime.frameworks import sklearn_linear
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

CLASSIFIERS = [
    LogisticRegression(max_iter=2000),
    RidgeClassifier(),
    LinearSVC(),
    SGDClassifier(random_state=0),
    Perceptron(random_state=0),
]
REGRESSORS = [LinearRegression(), Ridge(), Lasso(alpha=0.01), ElasticNet(alpha=0.01), SGDRegressor(random_state=0)]


def linear(fitted: object) -> sklearn_linear.LinearModel:
    found = sklearn_linear.parameters_of(fitted)
    assert found is not None
    return sklearn_linear.LinearModel(
        kind=str(found["kind"]), coef=found["coef"], intercept=found["intercept"], classes=found.get("classes")
    )


def probes(columns: int) -> list[np.ndarray]:
    rng = np.random.default_rng(2)
    wide = rng.normal(scale=3.0, size=(500, columns))
    return [wide, wide.astype(np.float32), np.rint(wide).astype(np.int64), wide > 0]


@pytest.mark.parametrize("labels", ["numbers", "strings"])
@pytest.mark.parametrize("classes", [2, 3], ids=["binary", "multiclass"])
@pytest.mark.parametrize("estimator", CLASSIFIERS, ids=lambda e: type(e).__name__)
def test_linear_path_equals_sklearn_for_classifiers(estimator: object, classes: int, labels: str) -> None:
    features, target = make_classification(
        n_samples=400, n_features=6, n_informative=4, n_classes=classes, random_state=1
    )
    if labels == "strings":
        target = np.array(["cat", "dog", "emu"], dtype=object)[target]
    fitted = estimator.fit(features, target)  # type: ignore[attr-defined]
    served = linear(fitted)
    for probe in probes(6):
        expected = fitted.predict(probe)
        got = served.predict(probe)
        assert got.tolist() == expected.tolist()
        if labels == "numbers":
            assert got.dtype == expected.dtype


@pytest.mark.parametrize("estimator", REGRESSORS, ids=lambda e: type(e).__name__)
def test_linear_path_equals_sklearn_for_regressors(estimator: object) -> None:
    features, target = make_regression(n_samples=300, n_features=5, random_state=3)
    fitted = estimator.fit(features, target)  # type: ignore[attr-defined]
    served = linear(fitted)
    for probe in probes(5):
        assert np.array_equal(served.predict(probe), fitted.predict(probe))


def test_linear_models_load_without_sklearn_in_the_server(tmp_path: pathlib.Path) -> None:
    features, labels = load_iris(return_X_y=True)
    joblib.dump(LogisticRegression(max_iter=1000).fit(features, labels), tmp_path / "model.joblib")
    script = (
        "import sys, numpy as np\n"
        "from modelplane.runtime.frameworks import sklearn\n"
        f"item = sklearn.SKLearnModel(name='m', model_dir={str(tmp_path)!r})\n"
        "item.load()\n"
        "print(item.predict_array(np.array([[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]])).tolist())\n"
        "print(any(name == 'sklearn' or name.startswith('sklearn.') for name in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split() == ["[1,", "1]", "False"]


def test_other_objects_are_not_taken() -> None:
    features, labels = load_iris(return_X_y=True)
    assert sklearn_linear.parameters_of(RandomForestClassifier(n_estimators=2).fit(features, labels)) is None
    assert sklearn_linear.parameters_of({"coef_": 1}) is None


def test_extract_from_a_file(tmp_path: pathlib.Path) -> None:
    features, labels = load_iris(return_X_y=True)
    fitted = LogisticRegression(max_iter=1000).fit(features, labels)
    joblib.dump(fitted, tmp_path / "model.joblib")
    served = sklearn_linear.extract(tmp_path / "model.joblib")
    assert served is not None
    assert served.n_features == 4
    assert served.predict(features).tolist() == fitted.predict(features).tolist()
    joblib.dump(RandomForestClassifier(n_estimators=2).fit(features, labels), tmp_path / "forest.joblib")
    assert sklearn_linear.extract(tmp_path / "forest.joblib") is None
