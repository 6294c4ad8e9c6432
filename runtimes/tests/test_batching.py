"""Adaptive batching, with real concurrency and generous time bounds.

Covers: a lone request is dispatched at once (no waiting for a batch to fill, even with a huge max latency);
requests arriving while the model is busy are merged into the next batch and each caller gets its own rows;
max_batch_size bounds a batch; requests that cannot merge (other shape) run separately; one bad request in a
batch fails alone; max_latency_ms dispatches a queued request while a slow batch still runs; plain (event-loop),
async and worker-thread models; a fast plain model keeps running in the event loop while a slow one (milliseconds
a call) moves to a worker thread after its first calls; batching through a real server for V1 and V2 at once; and,
through a real server under sustained concurrent load, a slow plain model merges the requests that arrive while it
predicts."""

from __future__ import annotations

import asyncio
import concurrent.futures
import pathlib
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import numpy as np
import pytest
from modelplane.runtime import batching, dataplane, errors, messages, model, tensors


def request(rows: list[list[float]], name: str = "m") -> messages.InferRequest:
    data = np.asarray(rows, dtype=np.float64)
    return messages.InferRequest(model_name=name, inputs=[tensors.Tensor(name="x", datatype="FP64", data=data)])


class Doubler(model.Model):
    """Doubles its input; records the rows of every predict call; raises on NaN."""

    def __init__(self) -> None:
        super().__init__(name="m")
        self.calls: list[int] = []
        self.ready = True

    def predict(self, request: messages.InferRequest) -> messages.InferResponse:
        data = request.inputs[0].data
        self.calls.append(data.shape[0])
        if np.isnan(data).any():
            raise ValueError("NaN in input")
        return messages.InferResponse(
            model_name=self.name, outputs=[tensors.Tensor.from_array(name="y", array=data * 2)]
        )


class GatedDoubler(Doubler):
    """Async: each predict waits until the test opens the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.entered = asyncio.Event()

    async def predict(self, request: messages.InferRequest) -> messages.InferResponse:  # type: ignore[override]
        self.entered.set()
        await self.gate.wait()
        return Doubler.predict(self, request)


class ThreadedDoubler(Doubler):
    run_in_thread = True

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.started = threading.Event()

    def predict(self, request: messages.InferRequest) -> messages.InferResponse:
        self.started.set()
        self.release.wait(timeout=30)
        return super().predict(request)


def batcher_for(
    item: model.Model, *, size: int = 32, latency_ms: float = 60_000.0
) -> tuple[batching.Batcher, list[int]]:
    sizes: list[int] = []
    built = batching.Batcher(
        item=item,
        predict=dataplane.predict_fn(item),
        settings=batching.BatchSettings(max_batch_size=size, max_latency_ms=latency_ms),
        on_batch=sizes.append,
    )
    return built, sizes


def test_lone_request_does_not_wait() -> None:
    async def run() -> float:
        item = Doubler()
        built, sizes = batcher_for(item, latency_ms=60_000)
        started = time.perf_counter()
        reply = await built.submit(request([[1.0, 2.0]]))
        assert reply.outputs[0].data.tolist() == [[2.0, 4.0]]
        assert sizes == [1]
        return time.perf_counter() - started

    assert asyncio.run(run()) < 1.0


def test_requests_arriving_while_busy_merge_into_one_batch() -> None:
    async def run() -> None:
        item = GatedDoubler()
        built, sizes = batcher_for(item)
        first = asyncio.ensure_future(built.submit(request([[0.0]])))
        await asyncio.wait_for(item.entered.wait(), 10)
        later = [asyncio.ensure_future(built.submit(request([[float(i)], [float(i) + 0.5]]))) for i in range(1, 11)]
        await asyncio.sleep(0.05)
        assert built.queued == 10
        item.gate.set()
        replies = await asyncio.wait_for(asyncio.gather(first, *later), 10)
        assert item.calls == [1, 20]
        assert sizes == [1, 10]
        for i, reply in enumerate(replies[1:], start=1):
            assert reply.outputs[0].data.tolist() == [[2.0 * i], [2.0 * i + 1.0]]

    asyncio.run(run())


def test_max_batch_size_bounds_the_rows_of_a_batch() -> None:
    async def run() -> None:
        item = GatedDoubler()
        built, _ = batcher_for(item, size=4)
        first = asyncio.ensure_future(built.submit(request([[0.0]])))
        await asyncio.wait_for(item.entered.wait(), 10)
        later = [asyncio.ensure_future(built.submit(request([[float(i)]]))) for i in range(10)]
        await asyncio.sleep(0.05)
        item.gate.set()
        await asyncio.wait_for(asyncio.gather(first, *later), 10)
        assert item.calls == [1, 4, 4, 2]

    asyncio.run(run())


def test_plain_model_merges_requests_of_one_loop_turn() -> None:
    async def run() -> None:
        item = Doubler()
        built, sizes = batcher_for(item)
        replies = await asyncio.gather(*(built.submit(request([[float(i)]])) for i in range(20)))
        assert [r.outputs[0].data.tolist() for r in replies] == [[[2.0 * i]] for i in range(20)]
        assert sizes == [20]
        assert item.calls == [20]

    asyncio.run(run())


class SlowDoubler(Doubler):
    """A plain model that takes 5 ms a call; records the thread each call ran on."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: list[int] = []

    def predict(self, request: messages.InferRequest) -> messages.InferResponse:
        self.threads.append(threading.get_ident())
        time.sleep(0.005)
        return super().predict(request)


def test_a_fast_plain_model_stays_in_the_event_loop() -> None:
    async def run() -> None:
        item = Doubler()
        built, _ = batcher_for(item)
        loop_thread = threading.get_ident()
        for i in range(50):
            await built.submit(request([[float(i)]]))
        assert built.inline
        assert threading.get_ident() == loop_thread

    asyncio.run(run())


def test_a_slow_plain_model_moves_to_a_worker_thread() -> None:
    async def run() -> None:
        item = SlowDoubler()
        built, sizes = batcher_for(item)
        loop_thread = threading.get_ident()
        assert built.inline
        for i in range(3):
            await built.submit(request([[float(i)]]))
        assert not built.inline
        assert item.threads[0] == loop_thread
        assert item.threads[-1] != loop_thread
        replies = await asyncio.gather(*(built.submit(request([[float(i)]])) for i in range(10)))
        assert [r.outputs[0].data.tolist() for r in replies] == [[[2.0 * i]] for i in range(10)]
        assert sum(sizes[3:]) == 10
        assert len(sizes) < 3 + 10, "requests queued while a threaded batch ran did not merge"

    asyncio.run(run())


def test_different_shapes_are_not_merged() -> None:
    async def run() -> None:
        item = Doubler()
        built, sizes = batcher_for(item)
        replies = await asyncio.gather(
            built.submit(request([[1.0, 2.0]])), built.submit(request([[3.0]])), built.submit(request([[4.0, 5.0]]))
        )
        assert replies[1].outputs[0].data.tolist() == [[6.0]]
        assert sorted(sizes) == [1, 2]

    asyncio.run(run())


def test_one_bad_request_fails_alone() -> None:
    async def run() -> None:
        item = Doubler()
        built, _ = batcher_for(item)
        outcomes = await asyncio.gather(
            built.submit(request([[1.0]])),
            built.submit(request([[float("nan")]])),
            built.submit(request([[3.0]])),
            return_exceptions=True,
        )
        assert outcomes[0].outputs[0].data.tolist() == [[2.0]]
        assert isinstance(outcomes[1], errors.InferenceError)
        assert "NaN in input" in outcomes[1].message
        assert outcomes[2].outputs[0].data.tolist() == [[6.0]]
        assert item.calls[0] == 3  # the merged attempt, then one call per request

    asyncio.run(run())


def test_max_latency_dispatches_while_a_slow_batch_runs() -> None:
    async def run() -> None:
        item = GatedDoubler()
        built, _ = batcher_for(item, latency_ms=50)
        first = asyncio.ensure_future(built.submit(request([[1.0]])))
        await asyncio.wait_for(item.entered.wait(), 10)
        item.entered.clear()
        second = asyncio.ensure_future(built.submit(request([[2.0]])))
        await asyncio.wait_for(item.entered.wait(), 5)  # dispatched although the first batch still runs
        assert not first.done()
        item.gate.set()
        await asyncio.wait_for(asyncio.gather(first, second), 10)
        assert item.calls == [1, 1]

    asyncio.run(run())


def test_thread_model_batches_while_busy() -> None:
    async def run() -> None:
        item = ThreadedDoubler()
        built, sizes = batcher_for(item)
        first = asyncio.ensure_future(built.submit(request([[1.0]])))
        loop = asyncio.get_running_loop()
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            await loop.run_in_executor(pool, item.started.wait, 10)
        later = [asyncio.ensure_future(built.submit(request([[float(i)]]))) for i in range(5)]
        await asyncio.sleep(0.05)
        item.release.set()
        await asyncio.wait_for(asyncio.gather(first, *later), 10)
        assert sizes == [1, 5]

    asyncio.run(run())


def test_batch_settings_reject_nonsense() -> None:
    with pytest.raises(ValueError, match="max_batch_size"):
        batching.BatchSettings(max_batch_size=0)
    with pytest.raises(ValueError, match="max_latency_ms"):
        batching.BatchSettings(max_latency_ms=0)


SLOW_MODEL = """
import time

import numpy as np

from modelplane.runtime import model


class Slow(model.Model):
    def predict(self, request):
        time.sleep(0.05)
        return request.inputs[0].data * 2
"""


def test_server_batches_v1_and_v2_together(start_server: Callable[..., Any], tmp_path: pathlib.Path) -> None:
    (tmp_path / "model.py").write_text(SLOW_MODEL)
    server = start_server("--model_name", "slow", "--model_dir", str(tmp_path), "--max_batch_size", "64")

    async def run() -> list[Any]:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            v1 = [client.post("/v1/models/slow:predict", json={"instances": [[float(i)]]}) for i in range(16)]
            v2 = [
                client.post(
                    "/v2/models/slow/infer",
                    json={"inputs": [{"name": "x", "shape": [1, 1], "datatype": "FP64", "data": [float(i)]}]},
                )
                for i in range(16)
            ]
            return list(await asyncio.gather(*v1, *v2))

    replies = asyncio.run(run())
    assert [r.json()["predictions"] for r in replies[:16]] == [[[2.0 * i]] for i in range(16)]
    assert [r.json()["outputs"][0]["data"] for r in replies[16:]] == [[2.0 * i] for i in range(16)]
    metrics = httpx.get(server.url + "/metrics").text
    count = _metric(metrics, 'modelplane_batch_size_count{model="slow"}')
    total = _metric(metrics, 'modelplane_batch_size_sum{model="slow"}')
    assert total == 32
    assert count < 32  # some requests shared a predict call: 32 sequential calls would take 1.6 s
    assert 'modelplane_queue_depth{model="slow"} 0.0' in metrics  # the queue drained


BLOCKING_MODEL = """
import time

from modelplane.runtime import model


class Blocking(model.Model):
    # A plain (not async) predict of 20 ms a call, like a CPU-bound model: the batcher moves it to a worker thread.
    def predict(self, request):
        time.sleep(0.02)
        return request.inputs[0].data * 2
"""


def test_a_slow_plain_model_batches_under_sustained_load(
    start_server: Callable[..., Any], tmp_path: pathlib.Path
) -> None:
    (tmp_path / "model.py").write_text(BLOCKING_MODEL)
    server = start_server("--model_name", "blocking", "--model_dir", str(tmp_path), "--max_batch_size", "32")
    clients, rounds = 12, 6

    async def client(index: int, http: httpx.AsyncClient) -> list[list[list[float]]]:
        answers = []
        await asyncio.sleep(index * 0.004)  # arrivals spread out, not one burst
        for turn in range(rounds):
            value = float(index * 100 + turn)
            reply = await http.post("/v1/models/blocking:predict", json={"instances": [[value]]})
            answers.append(reply.json()["predictions"])
        return answers

    async def run() -> list[list[list[list[float]]]]:
        limits = httpx.Limits(max_connections=clients)
        async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as http:
            return list(await asyncio.gather(*(client(i, http) for i in range(clients))))

    answers = asyncio.run(run())
    assert answers == [[[[2.0 * (i * 100 + t)]] for t in range(rounds)] for i in range(clients)]
    metrics = httpx.get(server.url + "/metrics").text
    calls = _metric(metrics, 'modelplane_batch_size_count{model="blocking"}')
    rows = _metric(metrics, 'modelplane_batch_size_sum{model="blocking"}')
    assert rows == clients * rounds
    # One at a time would be 72 calls (a mean of 1.0); requests that arrive during a call share the next one.
    assert rows / calls >= 2, f"mean batch {rows / calls:.2f}"


def _metric(text: str, key: str) -> float:
    for line in text.splitlines():
        if line.startswith(key):
            return float(line.split()[-1])
    raise AssertionError(f"{key} not in metrics:\n{text}")
