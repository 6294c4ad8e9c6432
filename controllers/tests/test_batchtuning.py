"""Covers modelplane.batchtuning: candidates (capacity, maxLatency, predicted p99, verdicts), the choice with and
without an expected rate, the over-capacity and impossible cases, and writing the batcher into a manifest."""

from __future__ import annotations

import pytest
from modelplane import batchtuning


def _m(size: int, p50: float, p99: float, failed: int = 0) -> batchtuning.Measurement:
    return batchtuning.Measurement(batch_size=size, p50_ms=p50, p99_ms=p99, requests=100, failed=failed)


# A model with a high per-call cost: a batch of 32 costs little more than a batch of 1.
FLAT = [_m(1, 5.0, 8.0), _m(8, 5.5, 9.0), _m(32, 6.5, 11.0), _m(64, 12.0, 30.0)]


def test_candidate_capacity_budget_and_prediction() -> None:
    c = batchtuning.candidate(measurement=_m(32, 6.4, 11.0), target_p99_ms=50, rate_rps=None)
    assert c.capacity_rps == pytest.approx(5000)
    assert c.max_latency_ms == 39
    assert c.predicted_p99_ms == pytest.approx(50)
    assert c.fits


def test_max_latency_is_no_longer_than_a_batch_takes_to_fill() -> None:
    c = batchtuning.candidate(measurement=_m(8, 5.0, 9.0), target_p99_ms=100, rate_rps=1000)
    assert c.max_latency_ms == 7
    assert c.predicted_p99_ms == pytest.approx(16)


def test_without_a_rate_the_highest_capacity_within_the_target_wins() -> None:
    chosen = batchtuning.recommend(measurements=FLAT, target_p99_ms=50)
    assert (chosen.max_batch_size, chosen.max_latency_ms) == (64, 20)
    assert "highest capacity" in chosen.note
    assert [c.batch_size for c in chosen.candidates] == [1, 8, 32, 64]


def test_a_tight_target_rules_out_slow_batches() -> None:
    chosen = batchtuning.recommend(measurements=FLAT, target_p99_ms=20)
    assert chosen.max_batch_size == 32
    assert chosen.max_latency_ms == 9
    assert not chosen.candidates[-1].fits


def test_with_a_rate_the_smallest_sufficient_batch_wins() -> None:
    chosen = batchtuning.recommend(measurements=FLAT, target_p99_ms=50, rate_rps=1000)
    assert chosen.max_batch_size == 8
    assert chosen.candidates[0].why.startswith("capacity")
    assert chosen.max_latency_ms == 7


def test_a_rate_beyond_every_capacity_recommends_the_most_and_says_to_add_replicas() -> None:
    chosen = batchtuning.recommend(measurements=FLAT, target_p99_ms=50, rate_rps=100_000)
    assert chosen.max_batch_size == 64
    assert "add replicas" in chosen.note


def test_failed_measurements_never_win() -> None:
    chosen = batchtuning.recommend(measurements=[_m(1, 5, 8), _m(32, 1, 2, failed=3)], target_p99_ms=50)
    assert chosen.max_batch_size == 1
    assert chosen.candidates[1].why == "3 requests failed"


@pytest.mark.parametrize(
    ("measurements", "target", "rate", "message"),
    [
        pytest.param(FLAT, 5, None, "no batch size meets p99 5 ms", id="target-below-service-time"),
        pytest.param([], 50, None, "no measurements", id="nothing-measured"),
        pytest.param(FLAT, 0, None, "positive number of milliseconds", id="zero-target"),
        pytest.param(FLAT, 50, -1, "positive number of requests", id="negative-rate"),
    ],
)
def test_impossible_requests_are_explained(
    measurements: list[batchtuning.Measurement], target: float, rate: float | None, message: str
) -> None:
    with pytest.raises(batchtuning.TuningError, match=message):
        batchtuning.recommend(measurements=measurements, target_p99_ms=target, rate_rps=rate)


def _isvc() -> dict[str, object]:
    return {"kind": "InferenceService", "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"}}}}}


def test_apply_batcher_adds_and_reports_changes() -> None:
    document = _isvc()
    changes = batchtuning.apply_batcher(document, component="predictor", max_batch_size=16, max_latency_ms=12)
    assert document["spec"]["predictor"]["batcher"] == {"maxBatchSize": 16, "maxLatency": 12}  # type: ignore[index]
    assert changes == [
        "spec.predictor.batcher.maxBatchSize: (unset) -> 16",
        "spec.predictor.batcher.maxLatency: (unset) -> 12",
    ]


def test_apply_batcher_keeps_other_batcher_fields_and_skips_equal_values() -> None:
    document = _isvc()
    document["spec"]["predictor"]["batcher"] = {"maxBatchSize": 16, "maxLatency": 5, "timeout": 60}  # type: ignore[index]
    changes = batchtuning.apply_batcher(document, component="predictor", max_batch_size=16, max_latency_ms=12)
    assert changes == ["spec.predictor.batcher.maxLatency: 5 -> 12"]
    assert document["spec"]["predictor"]["batcher"]["timeout"] == 60  # type: ignore[index]


@pytest.mark.parametrize(
    ("document", "component", "message"),
    [
        pytest.param({"kind": "ServingRuntime"}, "predictor", "not an InferenceService", id="wrong-kind"),
        pytest.param(_isvc(), "transformer", "no spec.transformer", id="missing-component"),
        pytest.param(_isvc(), "router", "not one of", id="unknown-component"),
        pytest.param(
            {"kind": "InferenceService", "spec": {"predictor": {"batcher": [1]}}},
            "predictor",
            "must be a mapping",
            id="batcher-not-a-mapping",
        ),
    ],
)
def test_apply_batcher_refuses_what_it_cannot_edit(document: dict[str, object], component: str, message: str) -> None:
    with pytest.raises(batchtuning.TuningError, match=message):
        batchtuning.apply_batcher(document, component=component, max_batch_size=8, max_latency_ms=5)
