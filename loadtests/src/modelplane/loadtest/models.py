"""The models the benchmarks serve, trained here on scikit-learn's bundled iris data (nothing is downloaded).

`sklearn`: a 30-tree random forest saved with joblib. scikit-learn's `predict` on it costs about the same for 1
row as for 32 (a per-call cost of a few milliseconds), the case where batching pays most. `onnx`: a two-layer
512-unit MLP converted with skl2onnx and run by ONNX Runtime, where a call costs tens of microseconds and grows
with the rows. Both take four features per row.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import warnings

from modelplane.loadtest import errors

KINDS = ("sklearn", "onnx")
FEATURES = [6.8, 2.8, 4.8, 1.4]


@dataclasses.dataclass(frozen=True, slots=True)
class BenchModel:
    kind: str
    name: str
    model_dir: pathlib.Path
    model_file: pathlib.Path
    datatype: str

    def payload(self, protocol: str) -> str:
        if protocol == "v1":
            return json.dumps({"instances": [FEATURES]})
        return json.dumps({"inputs": [{"name": "input", "shape": [1, 4], "datatype": self.datatype, "data": FEATURES}]})


def build(*, kind: str, workdir: pathlib.Path) -> BenchModel:
    """Train and save the model of `kind` under `workdir/<kind>/` (reused when it is already there)."""
    if kind not in KINDS:
        raise errors.InvalidRun(f"benchmark model {kind!r} is not one of {', '.join(KINDS)}")
    model_dir = workdir / kind
    model_dir.mkdir(parents=True, exist_ok=True)
    if kind == "sklearn":
        path = model_dir / "model.joblib"
        if not path.is_file():
            _save_forest(path)
        return BenchModel(kind=kind, name="forest", model_dir=model_dir, model_file=path, datatype="FP64")
    path = model_dir / "model.onnx"
    if not path.is_file():
        _save_mlp(path)
    return BenchModel(kind=kind, name="mlp", model_dir=model_dir, model_file=path, datatype="FP32")


def _save_forest(path: pathlib.Path) -> None:
    import joblib
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier

    features, labels = load_iris(return_X_y=True)
    joblib.dump(RandomForestClassifier(n_estimators=30, random_state=0).fit(features, labels), path)


def _save_mlp(path: pathlib.Path) -> None:
    import numpy as np
    from skl2onnx import to_onnx
    from sklearn.datasets import load_iris
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    features, labels = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = MLPClassifier(hidden_layer_sizes=(512, 512), max_iter=10, random_state=0).fit(features, labels)
    graph = to_onnx(mlp, features[:1].astype(np.float32), options={id(mlp): {"zipmap": False}})
    path.write_bytes(graph.SerializeToString())
