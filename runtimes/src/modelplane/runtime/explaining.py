"""The built-in tabular explainer: SHAP values for any `ArrayModel` (scikit-learn, XGBoost, LightGBM).

It explains the model's scores (class probabilities when the model has them) with SHAP's model-agnostic Kernel
explainer (no JIT compilation, so the first explanation is as fast as the next). The background is
`background.npy` in the model directory when present (rows of typical inputs), else a single row of zeros. `shap`
is the optional `explain` extra and is imported on first use.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from modelplane.runtime import errors, model

BACKGROUND_FILE = "background.npy"


def background(item: model.ArrayModel, *, columns: int) -> np.ndarray:
    if item.model_dir is not None and (item.model_dir / BACKGROUND_FILE).is_file():
        data = np.load(item.model_dir / BACKGROUND_FILE, allow_pickle=False)
        if data.ndim != 2 or data.shape[1] != columns:
            raise errors.InferenceError(f"{BACKGROUND_FILE} has shape {list(data.shape)}; it must be [rows, {columns}]")
        return np.asarray(data, dtype=np.float64)
    return np.zeros((1, columns))


def explain_tabular(*, model: model.ArrayModel, array: np.ndarray) -> dict[str, Any]:
    try:
        with warnings.catch_warnings():
            # shap imports matplotlib, whose colormap calls warn of their own future deprecations at import time.
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            import shap
    except ImportError as exc:
        raise errors.InvalidInput("explanations need shap: install modelplane-runtime[explain]") from exc
    explainer = getattr(model, "_shap_explainer", None)
    if explainer is None:
        function = getattr(model, "explain_function", None)
        scorer = function() if callable(function) else model.predict_array
        explainer = shap.KernelExplainer(scorer, background(model, columns=array.shape[1]))
        model._shap_explainer = explainer  # type: ignore[attr-defined]
    values = explainer.shap_values(array.astype(np.float64), silent=True)
    return {
        "explanations": {
            "shap_values": np.asarray(values).tolist(),
            "base_values": np.asarray(explainer.expected_value).tolist(),
            "data": array.tolist(),
        }
    }
