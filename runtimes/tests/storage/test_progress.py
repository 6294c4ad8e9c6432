"""Covers storage.progress: human-readable sizes, periodic lines for large or unknown-size transfers only, the closing
line with size and rate, and the counting writer."""

from __future__ import annotations

import io

import pytest
from modelplane.runtime.storage import progress


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1536, "1.5 KiB"),
        (5 * 1024**3, "5.0 GiB"),
        (3 * 1024**5, "3072.0 TiB"),
    ],
)
def test_human_bytes(count: int, text: str) -> None:
    assert progress.human_bytes(count) == text


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_large_transfer_reports_periodically_then_finishes() -> None:
    out, clock = io.StringIO(), Clock()
    report = progress.Progress(label="s3://b/k", total=100 * 1024**2, out=out, interval_s=2.0, clock=clock)
    report.advance(10 * 1024**2)  # no time has passed: no line yet
    clock.now += 2.5
    report.advance(40 * 1024**2)
    clock.now += 2.5
    report.advance(50 * 1024**2)
    report.finish()
    assert out.getvalue().splitlines() == [
        "modelplane-storage-init: s3://b/k: 50% (50.0 MiB of 100.0 MiB)",
        "modelplane-storage-init: s3://b/k: 100% (100.0 MiB of 100.0 MiB)",
        "modelplane-storage-init: s3://b/k: 100.0 MiB in 5.0 s (20.0 MiB/s)",
    ]


def test_small_transfer_prints_only_the_closing_line() -> None:
    out, clock = io.StringIO(), Clock()
    report = progress.Progress(label="f", total=1000, out=out, interval_s=0.0, clock=clock)
    report.advance(1000)
    clock.now += 1
    report.finish()
    assert out.getvalue() == "modelplane-storage-init: f: 1000 B in 1.0 s (1000 B/s)\n"


def test_unknown_size_counts_what_arrived() -> None:
    out, clock = io.StringIO(), Clock()
    report = progress.Progress(label="u", total=None, out=out, interval_s=1.0, clock=clock)
    clock.now += 1
    report.advance(2048)
    assert out.getvalue() == "modelplane-storage-init: u: 2.0 KiB so far\n"


def test_counting_writer() -> None:
    sink = io.BytesIO()
    report = progress.Progress(label="w", total=10, out=io.StringIO())
    writer = progress.CountingWriter(sink, report)
    writer.write(b"abc")
    writer.write(b"de")
    writer.flush()
    assert (sink.getvalue(), report.done) == (b"abcde", 5)
