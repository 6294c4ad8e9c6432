"""Covers pacing: the open-loop schedule's arrival times per segment, the request bound, the user pool size."""

from __future__ import annotations

import itertools

import pytest
from modelplane.loadtest import errors, pacing, profiles


def _all(schedule: pacing.Schedule) -> list[pacing.Arrival]:
    out = []
    while (arrival := schedule.claim()) is not None:
        out.append(arrival)
    return out


def test_arrivals_are_evenly_spaced_at_each_level() -> None:
    profile = profiles.step(levels=[2, 4], step_s=1)
    arrivals = _all(pacing.Schedule(profile=profile, budget=pacing.Budget(limit=100)))
    assert [a.due_s for a in arrivals] == pytest.approx([0, 0.5, 1, 1.25, 1.5, 1.75])
    assert [a.segment.index for a in arrivals] == [0, 0, 1, 1, 1, 1]
    assert [pacing.arrivals_in(s) for s in profile.segments] == [2, 4]


def test_offered_count_matches_the_profile_whatever_the_latency() -> None:
    profile = profiles.diurnal(low=3, high=30, period_s=10, tick_s=0.5)
    arrivals = _all(pacing.Schedule(profile=profile, budget=pacing.Budget(limit=10_000)))
    assert len(arrivals) == sum(pacing.arrivals_in(s) for s in profile.segments)
    assert all(b.due_s >= a.due_s for a, b in itertools.pairwise(arrivals))


def test_the_budget_stops_the_schedule() -> None:
    budget = pacing.Budget(limit=3)
    arrivals = _all(pacing.Schedule(profile=profiles.step(levels=[100], step_s=1), budget=budget))
    assert len(arrivals) == 3
    assert budget.take() is False


def test_a_budget_needs_a_positive_limit() -> None:
    with pytest.raises(errors.InvalidRun, match="at least 1"):
        pacing.Budget(limit=0)


@pytest.mark.parametrize(
    ("rate", "timeout", "cap", "size"),
    [
        pytest.param(10, 2, 100, 21, id="rate-times-timeout"),
        pytest.param(1000, 10, 500, 500, id="capped"),
        pytest.param(0.5, 0.1, 100, 2, id="at-least-one"),
    ],
)
def test_pool_size(rate: float, timeout: float, cap: int, size: int) -> None:
    assert pacing.pool_size(peak_rate=rate, timeout_s=timeout, cap=cap) == size
