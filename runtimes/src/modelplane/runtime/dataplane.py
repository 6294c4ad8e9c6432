"""The data plane: what happens to an inference request between the protocol edges and the model.

Look the model up in the repository (404 / 503), run `preprocess`, hand the request to the model's batcher (or
straight to `predict` when batching is off), run `postprocess`. It knows no protocol: it takes an `InferRequest`
and returns an `InferResponse`.
Whatever a model raises that is not a domain error becomes `InferenceError` (HTTP 500) with the exception's text.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import numpy as np
from modelplane.runtime import (
    batching,
    errors,
    messages,
    metrics,
    model,
    repository,
    tensors,
)


class DataPlane:
    def __init__(
        self,
        *,
        models: repository.ModelRepository,
        batch: batching.BatchSettings | None = None,
        metrics_sink: metrics.Metrics | None = None,
    ) -> None:
        self.models = models
        self._batch = batch
        self._metrics = metrics_sink
        self._batchers: dict[str, tuple[model.Model, batching.Batcher]] = {}
        self._direct: dict[str, tuple[model.Model, batching.PredictFn, bool]] = {}

    async def infer(self, request: messages.InferRequest) -> messages.InferResponse:
        item = self.models.get_ready(request.model_name)
        if type(item).preprocess is not model.Model.preprocess:
            request = await _guarded(item, item.preprocess, request)
            if not isinstance(request, messages.InferRequest):
                raise errors.InferenceError(
                    f"model '{item.name}': preprocess() must return an InferRequest, got {type(request).__name__}"
                )
        if self._batch is not None:
            response = await self._batcher(item, self._batch).submit(request)
        else:
            found = self._direct.get(item.name)
            if found is None or found[0] is not item:
                found = self._direct[item.name] = (
                    item,
                    predict_fn(item),
                    batching.is_async(item),
                )
            predict, awaited = found[1], found[2]
            if not awaited:
                response = predict(request)
            elif item.run_in_thread:
                response = await asyncio.to_thread(predict, request)
            else:
                response = await predict(request)
        if type(item).postprocess is not model.Model.postprocess:
            response = as_response(item, await _guarded(item, item.postprocess, response, request))
        if request.id is not None and response.id is None:
            response.id = request.id
        return response

    async def explain(self, request: messages.InferRequest) -> Any:
        item = self.models.get_ready(request.model_name)
        if inspect.iscoroutinefunction(item.explain):
            return await _guarded(item, item.explain, request)
        try:
            return await asyncio.to_thread(item.explain, request)
        except errors.ModelServerError:
            raise
        except Exception as exc:
            raise errors.InferenceError(f"model '{item.name}' failed to explain: {type(exc).__name__}: {exc}") from exc

    def _batcher(self, item: model.Model, settings: batching.BatchSettings) -> batching.Batcher:
        found = self._batchers.get(item.name)
        if found is not None and found[0] is item:
            return found[1]
        sink = self._metrics
        name = item.name
        batcher = batching.Batcher(
            item=item,
            predict=predict_fn(item),
            settings=settings,
            on_batch=(lambda size: sink.batch_size(name, size)) if sink is not None else None,
            on_queue=(lambda depth: sink.queue_depth(name, depth)) if sink is not None else None,
        )
        self._batchers[name] = (item, batcher)
        return batcher


async def _guarded(item: model.Model, method: Any, *args: Any) -> Any:
    try:
        result = method(*args)
        if inspect.isawaitable(result):
            result = await result
    except errors.ModelServerError:
        raise
    except Exception as exc:
        raise errors.InferenceError(
            f"model '{item.name}' failed in {method.__name__}: {type(exc).__name__}: {exc}"
        ) from exc
    return result


def predict_fn(item: model.Model) -> batching.PredictFn:
    """The model's predict, with its result made an InferResponse and foreign exceptions made InferenceError."""
    if batching.is_async(item) and not item.run_in_thread:

        async def predict_async(
            request: messages.InferRequest,
        ) -> messages.InferResponse:
            return as_response(item, await _guarded(item, item.predict, request))

        return predict_async

    def predict(request: messages.InferRequest) -> messages.InferResponse:
        try:
            result = item.predict(request)
        except errors.ModelServerError:
            raise
        except Exception as exc:
            raise errors.InferenceError(f"model '{item.name}' failed to predict: {type(exc).__name__}: {exc}") from exc
        if type(result) is messages.InferResponse:
            return result
        if inspect.isawaitable(result):
            close = getattr(result, "close", None)
            if close is not None:
                close()
            raise errors.InferenceError(f"model '{item.name}': predict() returned an awaitable; declare it `async def`")
        return as_response(item, result)

    return predict


def as_response(item: model.Model, result: Any) -> messages.InferResponse:
    """Accept what user models naturally return: an InferResponse, an array or list, or {"predictions": [...]}."""
    if isinstance(result, messages.InferResponse):
        return result
    if isinstance(result, dict) and "predictions" in result:
        result = result["predictions"]
    if isinstance(result, np.ndarray | list | tuple):
        array = result if isinstance(result, np.ndarray) else tensors.array_from_json(list(result))
        return messages.InferResponse(
            model_name=item.name,
            model_version=item.version,
            outputs=[tensors.Tensor.from_array(name="output-0", array=array)],
        )
    raise errors.InferenceError(
        f"model '{item.name}' returned {type(result).__name__}; return an InferResponse, an array or a list"
    )
