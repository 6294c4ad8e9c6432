"""Adaptive batching: merge the requests that arrive while a model is busy, dispatch the moment it is idle.

One `Batcher` per model. A request that finds the model idle is dispatched on the next turn of the event loop,
so at low load nothing waits for a batch to fill; requests that arrive while a batch runs queue up and go together
as the next batch, up to `max_batch_size` rows. `max_latency_ms` bounds the time a request may wait for a busy
model: when the oldest queued request has waited that long, its batch is dispatched even though the previous one
is still running (this matters for models that await: threads, GPUs, remote predictors).

A plain (synchronous) model runs in the event loop while its calls are fast, since a thread hop would cost more than
the call. Once its calls take longer than `SLOW_CALL_S` on average, it runs in a worker thread instead: the loop
keeps reading and queueing requests while a batch runs, so they merge into the next one whatever turn of the loop
they arrive in (a predict that held the loop for milliseconds would let through only the requests that happened
to reach the batcher in the same turn).

Only requests with the same input names, datatypes, trailing shapes, parameters and requested outputs are merged.
If a merged batch fails, or the model returns outputs that are not row-aligned, every request of the batch is run
on its own, so one bad request fails alone.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import inspect
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from modelplane.runtime import messages, model, tensors

PredictFn = Callable[[messages.InferRequest], Any]

#: Mean seconds per predict call above which a plain model's batches run in a worker thread.
SLOW_CALL_S = 0.001
#: Weight of the newest call in that running mean.
COST_WEIGHT = 0.2


@dataclasses.dataclass(frozen=True, slots=True)
class BatchSettings:
    max_batch_size: int = 32
    max_latency_ms: float = 500.0

    def __post_init__(self) -> None:
        if self.max_batch_size < 1:
            raise ValueError(f"max_batch_size must be at least 1, got {self.max_batch_size}")
        if self.max_latency_ms <= 0:
            raise ValueError(f"max_latency_ms must be positive, got {self.max_latency_ms}")


@dataclasses.dataclass(slots=True)
class _Pending:
    request: messages.InferRequest
    future: asyncio.Future[messages.InferResponse]
    key: tuple[Any, ...] | None
    rows: int
    enqueued: float


def _batch_key(request: messages.InferRequest) -> tuple[Any, ...] | None:
    """What requests must share to be merged; None when the request cannot be merged at all."""
    if not request.inputs:
        return None
    rows = request.inputs[0].data.shape[0] if request.inputs[0].data.ndim else None
    parts: list[Any] = []
    for tensor in request.inputs:
        data = tensor.data
        if not data.ndim or data.shape[0] != rows:
            return None
        parts.append((tensor.name, tensor.datatype, data.shape[1:], data.dtype.str))
    parts.append(tuple(output.name for output in request.outputs))
    return tuple(parts)


class Batcher:
    """Queues requests for one model and runs them in adaptive batches."""

    def __init__(
        self,
        *,
        item: model.Model,
        predict: PredictFn,
        settings: BatchSettings,
        on_batch: Callable[[int], None] | None = None,
        on_queue: Callable[[int], None] | None = None,
    ) -> None:
        self._model = item
        self._predict = predict
        self._settings = settings
        self._on_batch = on_batch
        self._on_queue = on_queue
        self._queue: collections.deque[_Pending] = collections.deque()
        self._running = 0
        self._scheduled = False
        self._timer: asyncio.TimerHandle | None = None
        self._sync = not is_async(item)
        self._cost_s = 0.0  # running mean of a plain model's predict calls
        self._tasks: set[asyncio.Future[None]] = set()

    @property
    def inline(self) -> bool:
        """True while batches run right in the event loop: a plain model whose calls are fast."""
        return self._sync and self._cost_s < SLOW_CALL_S

    def _timed(self, request: messages.InferRequest) -> Any:
        """A plain model's predict, its duration folded into the running mean."""
        started = time.perf_counter()
        try:
            return self._predict(request)
        finally:
            self._cost_s += COST_WEIGHT * (time.perf_counter() - started - self._cost_s)

    @property
    def queued(self) -> int:
        return len(self._queue)

    async def submit(self, request: messages.InferRequest) -> messages.InferResponse:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[messages.InferResponse] = loop.create_future()
        key = _batch_key(request)
        rows = request.inputs[0].data.shape[0] if key is not None else 1
        self._queue.append(_Pending(request, future, key, rows, time.monotonic()))
        if self._on_queue is not None:
            self._on_queue(len(self._queue))
        if self._running == 0:
            if not self._scheduled:
                self._scheduled = True
                loop.call_soon(self._dispatch)
        elif self._timer is None:
            self._arm_timer(loop)
        return await future

    def _arm_timer(self, loop: asyncio.AbstractEventLoop) -> None:
        oldest = self._queue[0].enqueued
        delay = max(0.0, oldest + self._settings.max_latency_ms / 1000.0 - time.monotonic())
        self._timer = loop.call_later(delay, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if self._queue:
            self._dispatch()

    def _take(self) -> list[_Pending]:
        """The next batch: the oldest request and the queued ones that can merge with it, up to the size bound."""
        first = self._queue.popleft()
        batch = [first]
        if first.key is None:
            return batch
        rows = first.rows
        limit = self._settings.max_batch_size
        skipped: list[_Pending] = []
        while self._queue and rows < limit:
            candidate = self._queue.popleft()
            if (
                candidate.key == first.key
                and rows + candidate.rows <= limit
                and candidate.request.parameters == first.request.parameters
            ):
                batch.append(candidate)
                rows += candidate.rows
            else:
                skipped.append(candidate)
        self._queue.extendleft(reversed(skipped))
        return batch

    def _dispatch(self) -> None:
        self._scheduled = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._queue:
            return
        batch = self._take()
        if self._on_queue is not None:
            self._on_queue(len(self._queue))
        if self._on_batch is not None:
            self._on_batch(len(batch))
        self._running += 1
        if self.inline:
            # A fast plain model runs right here, in the event loop: no thread hop, no task.
            try:
                self._run_sync(batch)
            finally:
                self._after_batch()
        else:
            task = asyncio.ensure_future(self._run_async(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _run_sync(self, batch: list[_Pending]) -> None:
        if len(batch) > 1:
            try:
                outcome = self._timed(merge(batch=[pending.request for pending in batch]))
            except Exception:
                outcome = None
            if _row_aligned(outcome, batch):
                _resolve_split(batch, outcome)
                return
        for pending in batch:
            try:
                pending.future.set_result(self._timed(pending.request))
            except Exception as exc:
                pending.future.set_exception(exc)

    async def _run_async(self, batch: list[_Pending]) -> None:
        try:
            if len(batch) > 1:
                try:
                    outcome = await self._call([pending.request for pending in batch])
                except Exception:
                    outcome = None
                if _row_aligned(outcome, batch):
                    _resolve_split(batch, outcome)
                    return
            for pending in batch:
                try:
                    result = await self._call([pending.request])
                except Exception as exc:
                    if not pending.future.done():
                        pending.future.set_exception(exc)
                    continue
                if not pending.future.done():
                    pending.future.set_result(result)
        finally:
            self._after_batch()

    async def _call(self, requests: list[messages.InferRequest]) -> Any:
        """Predict on `requests` (merged when there are several); in a worker thread for threaded models, where
        merging (copying every caller's rows into one array) then stays off the event loop too."""
        if self._sync:
            return await asyncio.to_thread(lambda: self._timed(_one(requests)))
        if self._model.run_in_thread:
            return await asyncio.to_thread(lambda: self._predict(_one(requests)))
        result = self._predict(_one(requests))
        if inspect.isawaitable(result):
            result = await result
        return result

    def _after_batch(self) -> None:
        self._running -= 1
        if not self._queue:
            return
        loop = asyncio.get_running_loop()
        if self._running == 0:
            if not self._scheduled:
                self._scheduled = True
                loop.call_soon(self._dispatch)
        elif self._timer is None:
            self._arm_timer(loop)


def is_async(item: model.Model) -> bool:
    """Whether a model's predict must be awaited (or run in a thread) rather than called in the event loop."""
    return item.run_in_thread or inspect.iscoroutinefunction(type(item).predict) or item.predictor is not None


def _one(requests: list[messages.InferRequest]) -> messages.InferRequest:
    """The request to predict on: the only one, or the merge of several."""
    return requests[0] if len(requests) == 1 else merge(batch=requests)


def merge(*, batch: list[messages.InferRequest]) -> messages.InferRequest:
    """One request whose inputs are the batch's inputs stacked along the first axis."""
    first = batch[0]
    inputs = [
        tensors.Tensor(
            name=tensor.name,
            datatype=tensor.datatype,
            data=np.concatenate([request.inputs[index].data for request in batch]),
        )
        for index, tensor in enumerate(first.inputs)
    ]
    return messages.InferRequest(
        model_name=first.model_name,
        inputs=inputs,
        protocol=first.protocol,
        model_version=first.model_version,
        parameters=first.parameters,
        outputs=first.outputs,
    )


def _row_aligned(outcome: Any, batch: list[_Pending]) -> bool:
    if not isinstance(outcome, messages.InferResponse) or not outcome.outputs:
        return False
    total = sum(pending.rows for pending in batch)
    return all(out.data.ndim and out.data.shape[0] == total for out in outcome.outputs)


def _resolve_split(batch: list[_Pending], outcome: messages.InferResponse) -> None:
    start = 0
    for pending in batch:
        stop = start + pending.rows
        part = messages.InferResponse(
            model_name=outcome.model_name,
            model_version=outcome.model_version,
            id=pending.request.id,
            parameters=outcome.parameters,
            outputs=[
                tensors.Tensor(
                    name=out.name, datatype=out.datatype, data=out.data[start:stop], parameters=out.parameters
                )
                for out in outcome.outputs
            ],
        )
        start = stop
        if not pending.future.done():
            pending.future.set_result(part)
