"""The operator's work queue: which object to reconcile next, each at most once at a time, retried with backoff.

kopf's handlers only say *which* object needs a look (it changed, a child of it changed, a resync is due); the queue
runs the reconciles. A key added again while it waits is queued once (at the earlier time); a key added while its
reconcile runs is run once more afterwards, so no change is missed and no object is reconciled twice at once. A
failed reconcile is tried again after `base * 2**(failures - 1)` seconds, capped at `cap`, for as long as it keeps
failing: an object is never given up on. Workers take keys only while the gate is open, which is how leader election
keeps the other replicas idle. Everything here runs on the event loop; reconciles themselves run in threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import heapq
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Iterable

Key = tuple[str, str, str]
#: A reconcile: the key's object is looked at; returns seconds until it should be looked at again, or None.
Handle = Callable[[Key], Awaitable[float | None]]
#: Told of each finished reconcile: its key, the seconds it took, and whether it succeeded.
Observe = Callable[[Key, float, bool], None]

LOG = logging.getLogger("modelplane.operator")


@dataclasses.dataclass(frozen=True)
class Backoff:
    """Exponential delays between attempts of a failing reconcile: base, 2 base, 4 base ... at most cap seconds."""

    base: float = 1.0
    cap: float = 300.0

    def __post_init__(self) -> None:
        if not 0 < self.base <= self.cap:
            raise ValueError(f"backoff needs 0 < base <= cap, got base {self.base} and cap {self.cap}")

    def delay(self, failures: int) -> float:
        """The wait before the next attempt after `failures` failures in a row (failures >= 1)."""
        exponent = min(max(failures - 1, 0), 64)  # 2**64 * base exceeds any sensible cap; no overflow past it
        return float(min(self.base * 2.0**exponent, self.cap))


class WorkQueue:
    """Keys waiting to be reconciled, by due time; `run()` drives `workers` concurrent reconciles."""

    def __init__(
        self,
        *,
        handle: Handle,
        backoff: Backoff,
        workers: int,
        clock: Callable[[], float] = time.monotonic,
        observe: Observe | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError(f"a work queue needs at least one worker, got {workers}")
        self._handle = handle
        self._observe = observe
        self._backoff = backoff
        self._workers = workers
        self._clock = clock
        self._heap: list[tuple[float, int, Key]] = []
        self._due: dict[Key, float] = {}
        self._active: set[Key] = set()
        self._again: dict[Key, float] = {}
        self._failures: dict[Key, int] = {}
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self.gate = asyncio.Event()

    def add(self, key: Key, *, after: float = 0.0) -> None:
        """Reconcile `key` in `after` seconds (sooner if it is already due sooner)."""
        due = self._clock() + max(after, 0.0)
        if key in self._active:
            self._again[key] = min(self._again.get(key, due), due)
            return
        current = self._due.get(key)
        if current is not None and current <= due:
            return
        self._due[key] = due
        heapq.heappush(self._heap, (due, next(self._seq), key))
        self._wake.set()

    def add_all(self, keys: Iterable[Key]) -> None:
        """Reconcile every key now (a resync, or this replica just became the leader)."""
        for key in keys:
            self.add(key)

    def forget(self, key: Key) -> None:
        """The object is gone: drop its pending run and its failure count."""
        self._due.pop(key, None)
        self._again.pop(key, None)
        self._failures.pop(key, None)

    def failures(self, key: Key) -> int:
        """How many reconciles of `key` failed in a row."""
        return self._failures.get(key, 0)

    def waiting(self) -> int:
        """How many keys wait for a reconcile (due now or later)."""
        return len(self._due)

    def running(self) -> int:
        """How many reconciles run now."""
        return len(self._active)

    def pending(self) -> dict[Key, float]:
        """Each waiting key and the seconds until it is due (for logs and tests)."""
        now = self._clock()
        return {key: max(due - now, 0.0) for key, due in self._due.items()}

    def start(self) -> list[asyncio.Task[None]]:
        """Start the workers (on the running loop); they run until cancelled."""
        return [asyncio.create_task(self._work(), name=f"reconcile worker {n}") for n in range(self._workers)]

    async def idle(self, *, timeout: float) -> bool:
        """Wait until no reconcile runs (at most `timeout` seconds); whether that happened."""
        deadline = self._clock() + timeout
        while self._active:
            if self._clock() >= deadline:
                return False
            await asyncio.sleep(0.05)
        return True

    async def resync(self, *, every: float, keys: Callable[[], Iterable[Key]]) -> None:
        """Every `every` seconds, queue every key `keys()` names, until cancelled (drift no event reported)."""
        while True:
            await asyncio.sleep(every)
            if self.gate.is_set():
                self.add_all(keys())

    async def _next(self) -> Key:
        while True:
            wait: float | None = None
            while self._heap:
                due, _, key = self._heap[0]
                if self._due.get(key) != due:
                    heapq.heappop(self._heap)  # superseded by an earlier time, or forgotten
                    continue
                wait = due - self._clock()
                if wait <= 0:
                    heapq.heappop(self._heap)
                    del self._due[key]
                    return key
                break
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)

    async def _work(self) -> None:
        while True:
            await self.gate.wait()
            key = await self._next()
            if not self.gate.is_set():
                self.add(key)
                continue
            self._active.add(key)
            requeue: float | None = None
            ok = False
            started = time.monotonic()
            try:
                requeue = await self._handle(key)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any failure is retried; the object is never dropped
                failures = self._failures[key] = self._failures.get(key, 0) + 1
                requeue = self._backoff.delay(failures)
                LOG.warning("reconcile of %s failed (%d in a row), next try in %.0f s: %s", key, failures, requeue, exc)
            else:
                self._failures.pop(key, None)
                ok = True
            finally:
                self._active.discard(key)
            if self._observe is not None:
                self._observe(key, time.monotonic() - started, ok)
            again = self._again.pop(key, None)
            if again is not None:
                self.add(key, after=again - self._clock())
            if requeue is not None:
                self.add(key, after=requeue)
