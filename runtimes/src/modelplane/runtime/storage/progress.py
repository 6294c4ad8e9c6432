"""Progress lines on stderr while a download runs, so a slow init container shows it is alive and how far it got.

Large transfers (at least `LARGE_BYTES`, or of unknown size) print a line at most every `interval_s`; every transfer
prints one closing line with its size, time and rate. Thread-safe, because S3 downloads call back from worker threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import BinaryIO, TextIO

LARGE_BYTES = 16 * 1024**2


def human_bytes(count: float) -> str:
    """1536 -> '1.5 KiB': binary units, one decimal."""
    units = ("B", "KiB", "MiB", "GiB", "TiB")
    index = 0
    while count >= 1024 and index < len(units) - 1:
        count /= 1024
        index += 1
    return f"{count:.0f} B" if index == 0 else f"{count:.1f} {units[index]}"


class Progress:
    """Counts the bytes of one transfer and reports on `out`."""

    def __init__(
        self,
        *,
        label: str,
        total: int | None,
        out: TextIO,
        interval_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._label = label
        self._total = total
        self._out = out
        self._interval_s = interval_s
        self._clock = clock
        self._lock = threading.Lock()
        self._started = clock()
        self._last_report = self._started
        self.done = 0

    def advance(self, count: int) -> None:
        with self._lock:
            self.done += count
            now = self._clock()
            large = self._total is None or self._total >= LARGE_BYTES
            if large and now - self._last_report >= self._interval_s:
                self._last_report = now
                self._print(self._status())

    def finish(self) -> None:
        elapsed = max(self._clock() - self._started, 1e-9)
        self._print(f"{human_bytes(self.done)} in {elapsed:.1f} s ({human_bytes(self.done / elapsed)}/s)")

    def _status(self) -> str:
        if self._total:
            return f"{100 * self.done / self._total:.0f}% ({human_bytes(self.done)} of {human_bytes(self._total)})"
        return f"{human_bytes(self.done)} so far"

    def _print(self, text: str) -> None:
        print(f"modelplane-storage-init: {self._label}: {text}", file=self._out, flush=True)


class CountingWriter:
    """A binary file wrapper that reports every write to a `Progress` (for clients that write into a file object)."""

    def __init__(self, file: BinaryIO, progress: Progress) -> None:
        self._file = file
        self._progress = progress

    def write(self, data: bytes) -> int:
        written = self._file.write(data)
        self._progress.advance(len(data))
        return written

    def flush(self) -> None:
        self._file.flush()
