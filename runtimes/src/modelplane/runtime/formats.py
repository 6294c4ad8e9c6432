"""Choosing the framework adapter for a model directory: by `--model_format`, or detected from the files in it.

Detection: `model.py` means custom; otherwise the suffixes present decide (.joblib/.pkl/.pickle scikit-learn,
.ubj/.bst XGBoost, .json XGBoost when it is an XGBoost model document, .txt LightGBM, .onnx ONNX,
.pt/.pth/.torchscript TorchScript). Two formats in one directory is an error that asks for `--model_format`.
`shap` (the SHAP explainer component, which explains the predictor it calls) is never detected: it is asked for, and
it is the one format that needs no model directory.
"""

from __future__ import annotations

import pathlib

from modelplane.runtime import errors, forwarding, model

FORMATS = ("sklearn", "xgboost", "lightgbm", "onnx", "pytorch", "custom", "shap")
#: Formats whose model needs no --model_dir.
WITHOUT_DIRECTORY = ("shap",)
_BY_SUFFIX = {
    ".joblib": "sklearn",
    ".pkl": "sklearn",
    ".pickle": "sklearn",
    ".ubj": "xgboost",
    ".bst": "xgboost",
    ".txt": "lightgbm",
    ".onnx": "onnx",
    ".pt": "pytorch",
    ".pth": "pytorch",
    ".torchscript": "pytorch",
}


def detect(model_dir: pathlib.Path) -> str:
    if not model_dir.exists():
        raise errors.ModelLoadError(f"model directory {model_dir} does not exist")
    paths = [model_dir] if model_dir.is_file() else [p for p in model_dir.iterdir() if p.is_file()]
    if any(p.name == "model.py" for p in paths):
        return "custom"
    found = set()
    for path in paths:
        kind = _BY_SUFFIX.get(path.suffix)
        if kind is None and path.suffix == ".json" and _is_xgboost_json(path):
            kind = "xgboost"
        if kind is not None:
            found.add(kind)
    if len(found) == 1:
        return found.pop()
    if not found:
        names = sorted(p.name for p in paths)
        raise errors.ModelLoadError(
            f"no model file recognised in {model_dir} (it holds {names}); pass --model_format {'|'.join(FORMATS)}"
        )
    raise errors.ModelLoadError(
        f"{model_dir} holds files of several formats ({', '.join(sorted(found))}); pass --model_format"
    )


def _is_xgboost_json(path: pathlib.Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(4096)
    return b'"learner"' in head


def build(
    *,
    name: str,
    model_dir: pathlib.Path | None,
    model_format: str | None,
    predictor: forwarding.PredictorClient | None,
) -> model.Model:
    """An unloaded model of the given (or detected) format."""
    if model_format == "shap":
        from modelplane.runtime.frameworks import shap_explainer

        return shap_explainer.ShapExplainer(name=name, model_dir=model_dir, predictor=predictor)
    if model_dir is None:
        raise errors.ModelLoadError(f"a model of format {model_format or '(detected)'} needs --model_dir")
    kind = model_format or detect(model_dir)
    if kind == "sklearn":
        from modelplane.runtime.frameworks import sklearn

        return sklearn.SKLearnModel(name=name, model_dir=model_dir)
    if kind == "xgboost":
        from modelplane.runtime.frameworks import xgboost

        return xgboost.XGBoostModel(name=name, model_dir=model_dir)
    if kind == "lightgbm":
        from modelplane.runtime.frameworks import lightgbm

        return lightgbm.LightGBMModel(name=name, model_dir=model_dir)
    if kind == "onnx":
        from modelplane.runtime.frameworks import onnx

        return onnx.ONNXModel(name=name, model_dir=model_dir)
    if kind == "pytorch":
        from modelplane.runtime.frameworks import pytorch

        return pytorch.PyTorchModel(name=name, model_dir=model_dir)
    if kind == "custom":
        from modelplane.runtime.frameworks import custom

        return custom.build(name=name, model_dir=model_dir, predictor=predictor)
    raise errors.ModelLoadError(f"unknown model format {kind!r}; use one of {', '.join(FORMATS)}")
