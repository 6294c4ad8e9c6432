"""The SHAP explainer as its own component (`--model_format shap`): explains a predictor it calls over HTTP.

KServe runs an InferenceService's explainer in its own pod and points it at the predictor with `--predictor_host`;
this model is that explainer for tabular models. `:explain` computes Kernel SHAP values of the rows it is given,
scoring the perturbed rows SHAP asks for by calling the predictor (`--predictor_protocol` v1 `:predict` or v2
`infer`) under the explainer's own model name; `:predict` and V2 `infer` are forwarded to the predictor as they are.

`--model_dir` is optional. When given it may hold the background (`background.npy` or `background.json`, see
`explaining`) and `explainer.json`: `{"nsamples": 500, "classes": [0, 1, 2]}`, both optional. `nsamples` is how many
coalitions SHAP scores per row (default SHAP's "auto"). `classes` makes a predictor that answers class labels
explainable per class: each label becomes a one-hot row over the classes, so the values of class k explain "the
predictor picks k". Without `classes` the predictor's answer is explained as the numbers it is (one output per
column when it returns scores per class).
"""

from __future__ import annotations

import asyncio
import pathlib
from typing import Any

import numpy as np
import orjson
from modelplane.runtime import errors, explaining, messages, model, tensors

CONFIG_FILE = "explainer.json"
PREDICT_TIMEOUT_S = 120.0


class ShapExplainer(model.Model):
    platform = "shap"

    def load(self) -> None:
        if self.predictor is None:
            raise errors.ModelLoadError(
                "a shap explainer explains a predictor: pass --predictor_host HOST:PORT (KServe's explainer "
                "component adds it)"
            )
        self._background = explaining.read_background(self.model_dir)
        self._nsamples, self._classes = _config(self.model_dir)
        self._explainers: dict[int, Any] = {}
        self.ready = True

    def metadata(self) -> dict[str, Any]:
        columns = int(self._background.shape[1]) if self._background is not None else -1
        return {
            "inputs": [{"name": "input-0", "datatype": "FP64", "shape": [-1, columns]}],
            "outputs": [{"name": "output-0", "datatype": "FP64", "shape": [-1]}],
        }

    async def explain(self, request: messages.InferRequest) -> Any:
        array = _rows(self.name, request)
        if self._background is not None and array.shape[1] != self._background.shape[1]:
            raise errors.InvalidInput(
                f"model '{self.name}' explains rows of {self._background.shape[1]} features (its background's "
                f"width); got {array.shape[1]}"
            )
        loop = asyncio.get_running_loop()
        return await asyncio.to_thread(self._explain, array, loop)

    def _explain(self, array: np.ndarray, loop: asyncio.AbstractEventLoop) -> dict[str, Any]:
        columns = int(array.shape[1])
        explainer = self._explainers.get(columns)
        if explainer is None:
            data = self._background if self._background is not None else np.zeros((1, columns))
            explainer = explaining.kernel_explainer(lambda rows: self._score(rows, loop), data)
            self._explainers[columns] = explainer
        return explaining.explanation(explainer, array, nsamples=self._nsamples)

    def _score(self, rows: np.ndarray, loop: asyncio.AbstractEventLoop) -> np.ndarray:
        """The predictor's answer for `rows`, called from SHAP in a worker thread through the server's event loop."""
        if self.predictor is None:
            raise errors.InferenceError(f"model '{self.name}' has no predictor to explain; pass --predictor_host")
        request = messages.InferRequest(
            model_name=self.name, inputs=[tensors.Tensor.from_array(name="input-0", array=np.asarray(rows))]
        )
        future = asyncio.run_coroutine_threadsafe(self.predictor.infer(request), loop)
        response = future.result(timeout=PREDICT_TIMEOUT_S)
        if not response.outputs:
            raise errors.UpstreamError(f"the predictor answered no output for model '{self.name}'")
        scores = response.outputs[0].data
        if self._classes is not None and scores.ndim == 1:
            return _one_hot(scores, self._classes, name=self.name)
        if scores.dtype == object or scores.dtype.kind not in "biuf":
            raise errors.InferenceError(
                f"the predictor answers {scores.dtype.kind!r}-kind values, which SHAP cannot explain as numbers; "
                f'list the labels as "classes" in {CONFIG_FILE}'
            )
        return np.asarray(scores, dtype=np.float64)


def _rows(name: str, request: messages.InferRequest) -> np.ndarray:
    if len(request.inputs) != 1:
        raise errors.InvalidInput(f"model '{name}' explains one input tensor, got {len(request.inputs)}")
    data = request.inputs[0].data
    if data.dtype == object or data.dtype.kind not in "biuf":
        raise errors.InvalidInput(f"model '{name}' explains rows of numbers; got {request.inputs[0].datatype}")
    if data.ndim == 1:
        data = data.reshape(1, -1)
    if data.ndim != 2 or not data.shape[0]:
        raise errors.InvalidInput(f"model '{name}' explains [rows, features]; got shape {list(data.shape)}")
    return np.asarray(data, dtype=np.float64)


def _one_hot(labels: np.ndarray, classes: list[Any], *, name: str) -> np.ndarray:
    index = {label: position for position, label in enumerate(classes)}
    encoded = np.zeros((labels.shape[0], len(classes)))
    for row, label in enumerate(labels.tolist()):
        position = index.get(label)
        if position is None:
            raise errors.InferenceError(
                f"the predictor answered label {label!r} for model '{name}', which is not one of the classes "
                f"{classes} in {CONFIG_FILE}"
            )
        encoded[row, position] = 1.0
    return encoded


def _config(model_dir: pathlib.Path | None) -> tuple[int | str, list[Any] | None]:
    path = model_dir / CONFIG_FILE if model_dir is not None else None
    if path is None or not path.is_file():
        return "auto", None
    try:
        document = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise errors.ModelLoadError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(document, dict) or set(document) - {"nsamples", "classes"}:
        raise errors.ModelLoadError(f'{path} must be an object with only "nsamples" and "classes"; it is {document!r}')
    nsamples = document.get("nsamples", "auto")
    if nsamples != "auto" and (isinstance(nsamples, bool) or not isinstance(nsamples, int) or nsamples < 1):
        raise errors.ModelLoadError(f'"nsamples" in {path} must be a whole number >= 1 or "auto"; it is {nsamples!r}')
    classes = document.get("classes")
    if classes is not None and (
        not isinstance(classes, list)
        or len(classes) < 2
        or len(set(map(str, classes))) != len(classes)
        or not all(isinstance(c, int | str) and not isinstance(c, bool) for c in classes)
    ):
        raise errors.ModelLoadError(
            f'"classes" in {path} must list two or more distinct labels (numbers or strings); it is {classes!r}'
        )
    return nsamples, classes
