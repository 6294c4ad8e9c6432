"""Covers metrics: reading the batch-size histogram from Prometheus text, differences between scrapes, the CSV."""

from __future__ import annotations

import math
import pathlib

import pytest
from modelplane.loadtest import errors, metrics


def _exposition(counts: dict[str, dict[float, int]]) -> str:
    lines = ["# HELP modelplane_batch_size Requests merged", "# TYPE modelplane_batch_size histogram"]
    for model, buckets in counts.items():
        cumulative = 0
        total = 0.0
        for le, count in buckets.items():
            cumulative += count
            total += le * count
            lines.append(f'modelplane_batch_size_bucket{{le="{le}",model="{model}"}} {cumulative}')
        lines.append(f'modelplane_batch_size_bucket{{le="+Inf",model="{model}"}} {cumulative}')
        lines.append(f'modelplane_batch_size_count{{model="{model}"}} {cumulative}')
        lines.append(f'modelplane_batch_size_sum{{model="{model}"}} {total}')
    lines.append("# TYPE other_total counter")
    lines.append("other_total 5")
    return "\n".join(lines) + "\n"


def test_histogram_of_one_model() -> None:
    text = _exposition({"a": {1.0: 4, 2.0: 2, 4.0: 1}, "b": {1.0: 100, 2.0: 0, 4.0: 0}})
    hist = metrics.histogram(text, model="a")
    assert hist.count == 7
    assert hist.mean == pytest.approx((4 + 4 + 4) / 7)
    assert hist.counts() == [(1.0, 4), (2.0, 2), (4.0, 1), (math.inf, 0)]
    assert metrics.histogram(text).count == 107


def test_the_difference_of_two_scrapes_is_what_happened_between() -> None:
    before = metrics.histogram(_exposition({"a": {1.0: 4, 2.0: 0, 4.0: 0}}), model="a")
    after = metrics.histogram(_exposition({"a": {1.0: 5, 2.0: 3, 4.0: 2}}), model="a")
    delta = after.minus(before)
    assert delta.count == 6
    assert delta.counts() == [(1.0, 1), (2.0, 3), (4.0, 2), (math.inf, 0)]
    assert delta.mean == pytest.approx((1 + 6 + 8) / 6)


def test_a_missing_histogram_is_empty() -> None:
    hist = metrics.histogram("# TYPE x counter\nx_total 1\n", model="a")
    assert hist.buckets == ()
    assert math.isnan(hist.mean)


def test_text_that_is_not_prometheus_is_a_clear_error() -> None:
    with pytest.raises(errors.InvalidRun, match="not Prometheus text"):
        metrics.histogram("modelplane_batch_size_bucket{le= oops\n")


def test_rows_round_trip_and_merge_by_level(tmp_path: pathlib.Path) -> None:
    low = metrics.histogram(_exposition({"a": {1.0: 10, 2.0: 0, 4.0: 0}}))
    high = metrics.histogram(_exposition({"a": {1.0: 0, 2.0: 5, 4.0: 5}}))
    path = tmp_path / "x_batches.csv"
    metrics.write(path, [(0, 1.0, low), (1, 50.0, high), (2, 1.0, low)])
    rows = metrics.read(path)
    assert [r.segment for r in rows] == [0, 1, 2]
    merged = metrics.by_level(rows)
    assert [(r.level, r.batches) for r in merged] == [(1.0, 20), (50.0, 10)]
    assert merged[0].mean_size == pytest.approx(1.0)
    assert merged[1].mean_size == pytest.approx(3.0)
    assert dict(merged[0].counts)[1.0] == 20
