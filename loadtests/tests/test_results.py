"""Covers results: per-segment and per-level summaries, cut-short runs, and the CSV and JSON round trip."""

from __future__ import annotations

import math
import pathlib

import pytest
from modelplane.loadtest import errors, profiles, results

PROFILE = profiles.spike(base=10, peak=100, before_s=2, spike_s=1, after_s=2)


def _samples() -> list[results.Sample]:
    out = [results.Sample(segment=0, latency_ms=float(i), lateness_ms=0.0, ok=True) for i in range(1, 101)]
    out += [results.Sample(segment=1, latency_ms=50.0, lateness_ms=20.0, ok=True) for _ in range(90)]
    out += [results.Sample(segment=1, latency_ms=9.0, lateness_ms=0.0, ok=False) for _ in range(10)]
    out += [results.Sample(segment=2, latency_ms=2.0, lateness_ms=0.0, ok=True) for _ in range(20)]
    return out


def test_by_segment_summarises_each_segment() -> None:
    rows = results.by_segment(samples=_samples(), segments=PROFILE.segments, ran_s=5)
    first, spike, last = rows
    assert first.sent == 100
    assert first.p50_ms == pytest.approx(50.5)
    assert first.p99_ms == pytest.approx(99.01)
    assert first.throughput_rps == pytest.approx(50)
    assert (spike.ok, spike.failed, spike.late) == (90, 10, 90)
    assert spike.throughput_rps == pytest.approx(90)
    assert last.start_s == 3


def test_by_level_merges_equal_levels() -> None:
    rows = results.by_level(samples=_samples(), segments=PROFILE.segments, ran_s=5)
    assert [r.level for r in rows] == [10, 100]
    base = rows[0]
    assert base.sent == 120
    assert base.duration_s == pytest.approx(4)
    assert base.throughput_rps == pytest.approx(30)


def test_a_cut_short_run_counts_only_what_it_ran() -> None:
    rows = results.by_segment(samples=_samples()[:100], segments=PROFILE.segments, ran_s=2.5)
    assert [r.key for r in rows] == [0, 1]
    assert rows[1].duration_s == pytest.approx(0.5)
    assert rows[1].sent == 0
    assert math.isnan(rows[1].p99_ms)


def test_summaries_round_trip_through_csv(tmp_path: pathlib.Path) -> None:
    rows = results.by_level(samples=_samples(), segments=PROFILE.segments, ran_s=5)
    path = tmp_path / "x_levels.csv"
    results.write(path, rows)
    back = results.read(path)
    assert [r.sent for r in back] == [r.sent for r in rows]
    assert [r.p99_ms for r in back] == pytest.approx([r.p99_ms for r in rows], abs=1e-3)


def test_reading_a_missing_or_foreign_file_is_a_clear_error(tmp_path: pathlib.Path) -> None:
    with pytest.raises(errors.InvalidRun, match="finished run"):
        results.read(tmp_path / "none.csv")
    foreign = tmp_path / "foreign.csv"
    foreign.write_text("a,b\n1,2\n")
    with pytest.raises(errors.InvalidRun, match="line 2"):
        results.read(foreign)


def test_run_settings_round_trip(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "x_run.json"
    results.write_run(path, {"model": "m", "requests": 3})
    assert results.read_run(path) == {"model": "m", "requests": 3}
    path.write_text("[1]")
    with pytest.raises(errors.InvalidRun, match="JSON object"):
        results.read_run(path)
