"""Tests of the operator's work queue on a real event loop: exponential backoff doubling up to its cap (and refusing
a cap below its base); a failing key retried with growing waits and never dropped, its count reset by a success; a
key queued twice while waiting runs once; a key queued while it runs runs once more afterwards, never twice at once;
a requeue delay the reconcile asks for is honoured; nothing runs while the gate is closed; a forgotten key does not
run; resync queues every key while the gate is open.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable

import pytest
from modelplane.operator import queueing

KEY = ("isvc", "ns", "iris")
OTHER = ("isvc", "ns", "flowers")


def test_backoff_doubles_up_to_the_cap() -> None:
    backoff = queueing.Backoff(base=1.0, cap=30.0)
    assert [backoff.delay(n) for n in range(1, 8)] == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert backoff.delay(10_000) == 30.0, "huge failure counts stay at the cap, no overflow"


def test_backoff_refuses_a_cap_below_its_base() -> None:
    with pytest.raises(ValueError, match="0 < base <= cap"):
        queueing.Backoff(base=5.0, cap=1.0)


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), timeout=10))


def started(queue: queueing.WorkQueue) -> list[asyncio.Task[None]]:
    queue.gate.set()
    return queue.start()


async def stop(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def test_failing_key_is_retried_with_growing_waits_and_never_dropped() -> None:
    async def scenario() -> None:
        times: list[float] = []
        loop = asyncio.get_running_loop()

        async def handle(key: queueing.Key) -> float | None:
            times.append(loop.time())
            if len(times) < 5:
                raise RuntimeError("the API server said no")
            return None

        queue = queueing.WorkQueue(handle=handle, backoff=queueing.Backoff(base=0.02, cap=0.08), workers=2)
        tasks = started(queue)
        queue.add(KEY)
        while len(times) < 5:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        await stop(tasks)
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert len(times) == 5, "a success ends the retries"
        for gap, wanted in zip(gaps, [0.02, 0.04, 0.08, 0.08], strict=True):
            assert gap >= wanted * 0.9, f"waited {gap:.3f} s, the backoff says {wanted} s"
        assert queue.failures(KEY) == 0, "the success reset the failure count"

    run(scenario)


def test_key_queued_twice_while_waiting_runs_once() -> None:
    async def scenario() -> None:
        seen: list[queueing.Key] = []

        async def handle(key: queueing.Key) -> float | None:
            seen.append(key)
            return None

        queue = queueing.WorkQueue(handle=handle, backoff=queueing.Backoff(), workers=4)
        queue.add(KEY, after=0.05)
        queue.add(KEY)
        queue.add(OTHER)
        tasks = started(queue)
        await asyncio.sleep(0.15)
        await stop(tasks)
        assert sorted(seen) == sorted([KEY, OTHER])

    run(scenario)


def test_key_queued_while_running_runs_again_afterwards_never_concurrently() -> None:
    async def scenario() -> None:
        running = 0
        peak = 0
        runs = 0

        async def handle(key: queueing.Key) -> float | None:
            nonlocal running, peak, runs
            running += 1
            peak = max(peak, running)
            runs += 1
            if runs == 1:
                queue.add(KEY)  # a change arrives while the first reconcile is still running
                queue.add(KEY)
            await asyncio.sleep(0.02)
            running -= 1
            return None

        queue = queueing.WorkQueue(handle=handle, backoff=queueing.Backoff(), workers=4)
        tasks = started(queue)
        queue.add(KEY)
        await asyncio.sleep(0.2)
        await stop(tasks)
        assert runs == 2, "the change that came in during the first run got its own run, once"
        assert peak == 1, "the same key never ran twice at once"

    run(scenario)


def test_requeue_delay_from_the_reconcile_is_honoured() -> None:
    async def scenario() -> None:
        times: list[float] = []
        loop = asyncio.get_running_loop()

        async def handle(key: queueing.Key) -> float | None:
            times.append(loop.time())
            return 0.05 if len(times) == 1 else None

        queue = queueing.WorkQueue(handle=handle, backoff=queueing.Backoff(), workers=1)
        tasks = started(queue)
        queue.add(KEY)
        await asyncio.sleep(0.2)
        await stop(tasks)
        assert len(times) == 2
        assert times[1] - times[0] >= 0.045
        assert queue.failures(KEY) == 0

    run(scenario)


def test_nothing_runs_while_the_gate_is_closed_and_forgotten_keys_never_do() -> None:
    async def scenario() -> None:
        seen: list[queueing.Key] = []

        async def handle(key: queueing.Key) -> float | None:
            seen.append(key)
            return None

        queue = queueing.WorkQueue(handle=handle, backoff=queueing.Backoff(), workers=2)
        tasks = queue.start()
        queue.add(KEY)
        queue.add(OTHER)
        await asyncio.sleep(0.05)
        assert seen == [], "a follower's workers take no keys"
        queue.forget(OTHER)
        queue.gate.set()
        await asyncio.sleep(0.05)
        await stop(tasks)
        assert seen == [KEY]

    run(scenario)


def test_resync_queues_every_key_while_open() -> None:
    async def scenario() -> None:
        seen: list[queueing.Key] = []

        async def handle(key: queueing.Key) -> float | None:
            seen.append(key)
            return None

        queue = queueing.WorkQueue(handle=handle, backoff=queueing.Backoff(), workers=2)
        tasks = started(queue)
        tasks.append(asyncio.create_task(queue.resync(every=0.03, keys=lambda: [KEY, OTHER])))
        await asyncio.sleep(0.1)
        await stop(tasks)
        assert seen.count(KEY) >= 2
        assert seen.count(OTHER) >= 2

    run(scenario)


def test_a_queue_needs_a_worker() -> None:
    async def handle(key: queueing.Key) -> float | None:
        return None

    with pytest.raises(ValueError, match="at least one worker"):
        queueing.WorkQueue(handle=handle, backoff=queueing.Backoff(), workers=0)


def test_each_finished_reconcile_is_observed_with_its_outcome() -> None:
    async def scenario() -> None:
        seen: list[tuple[queueing.Key, bool]] = []
        durations: list[float] = []
        calls = itertools.count()

        async def handle(key: queueing.Key) -> float | None:
            await asyncio.sleep(0.01)
            if next(calls) == 0:
                raise RuntimeError("the API server said no")
            return None

        def observe(key: queueing.Key, seconds: float, ok: bool) -> None:
            seen.append((key, ok))
            durations.append(seconds)

        queue = queueing.WorkQueue(
            handle=handle, backoff=queueing.Backoff(base=0.01, cap=0.01), workers=1, observe=observe
        )
        tasks = started(queue)
        queue.add(KEY)
        assert queue.waiting() == 1
        while len(seen) < 2:
            await asyncio.sleep(0.01)
        await stop(tasks)
        assert seen == [(KEY, False), (KEY, True)]
        assert all(0.01 <= d < 1.0 for d in durations)
        assert queue.waiting() == 0
        assert queue.running() == 0

    run(scenario)
