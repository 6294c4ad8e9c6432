"""The built-in tabular explainer: SHAP values of a scoring function, for in-process models and remote predictors.

It explains scores with SHAP's model-agnostic Kernel explainer (no JIT compilation, so the first explanation is as
fast as the next). In process (`:explain` on a scikit-learn, XGBoost or LightGBM model) the scores are the model's
own (class probabilities when it has them); the explainer component (`frameworks/shap_explainer.py`) scores through
the predictor over HTTP. The background is `background.npy` (or `background.json`, rows of numbers, handy in a
ConfigMap) in the model directory when present, else a single row of zeros. `shap` is the optional `explain` extra
and is imported on first use.
"""

from __future__ import annotations

import pathlib
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import orjson
from modelplane.runtime import errors, model

BACKGROUND_FILE = "background.npy"
BACKGROUND_JSON = "background.json"

Scorer = Callable[[np.ndarray], np.ndarray]


def read_background(model_dir: pathlib.Path | None) -> np.ndarray | None:
    """The background rows in `model_dir` (background.npy or background.json), or None when there are none."""
    if model_dir is None or not model_dir.is_dir():
        return None
    npy, json = model_dir / BACKGROUND_FILE, model_dir / BACKGROUND_JSON
    if npy.is_file() and json.is_file():
        raise errors.ModelLoadError(f"{model_dir} holds both {BACKGROUND_FILE} and {BACKGROUND_JSON}; keep one")
    try:
        if npy.is_file():
            data = np.load(npy, allow_pickle=False)
        elif json.is_file():
            data = np.asarray(orjson.loads(json.read_bytes()), dtype=np.float64)
        else:
            return None
    except (ValueError, TypeError, OSError, orjson.JSONDecodeError) as exc:
        raise errors.ModelLoadError(f"the background in {model_dir} cannot be read as rows of numbers: {exc}") from exc
    if data.ndim != 2 or not data.shape[0] or data.dtype.kind not in "biuf":
        raise errors.ModelLoadError(
            f"the background in {model_dir} must be a non-empty [rows, features] array of numbers; "
            f"it has shape {list(data.shape)}"
        )
    return np.asarray(data, dtype=np.float64)


def background(item: model.Model, *, columns: int) -> np.ndarray:
    """The model's background for `columns` features: its background file, else a row of zeros."""
    try:
        data = read_background(item.model_dir)
    except errors.ModelLoadError as exc:
        raise errors.InferenceError(exc.message) from exc
    if data is None:
        return np.zeros((1, columns))
    if data.shape[1] != columns:
        raise errors.InferenceError(f"the background has shape {list(data.shape)}; it must be [rows, {columns}]")
    return data


def kernel_explainer(scorer: Scorer, data: np.ndarray) -> Any:
    try:
        with warnings.catch_warnings():
            # shap imports matplotlib, whose colormap calls warn of their own future deprecations at import time.
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            import shap
    except ImportError as exc:
        raise errors.InvalidInput("explanations need shap: install modelplane-runtime[explain]") from exc
    return shap.KernelExplainer(scorer, data)


def explanation(explainer: Any, array: np.ndarray, *, nsamples: int | str = "auto") -> dict[str, Any]:
    """SHAP values of `array`'s rows as the V1 `:explain` answer."""
    values = explainer.shap_values(array.astype(np.float64), nsamples=nsamples, silent=True)
    return {
        "explanations": {
            "shap_values": np.asarray(values).tolist(),
            "base_values": np.asarray(explainer.expected_value).tolist(),
            "data": array.tolist(),
        }
    }


def explain_tabular(*, model: model.ArrayModel, array: np.ndarray) -> dict[str, Any]:
    explainer = getattr(model, "_shap_explainer", None)
    if explainer is None:
        function = getattr(model, "explain_function", None)
        scorer = function() if callable(function) else model.predict_array
        explainer = kernel_explainer(scorer, background(model, columns=array.shape[1]))
        model._shap_explainer = explainer  # type: ignore[attr-defined]
    return explanation(explainer, array)
