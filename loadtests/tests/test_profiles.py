"""Covers profiles: step, spike, ramp and diurnal segments, lookup by time, and refused parameters."""

from __future__ import annotations

import pytest
from modelplane.loadtest import errors, profiles


def test_step_runs_each_level_in_turn() -> None:
    profile = profiles.step(levels=[1, 10, 100], step_s=5)
    assert [(s.start_s, s.level) for s in profile.segments] == [(0, 1), (5, 10), (10, 100)]
    assert profile.duration_s == 15
    assert profile.peak == 100
    assert profile.at(0).level == 1
    assert profile.at(9.99).level == 10
    assert profile.at(15) is None


def test_spike_returns_to_its_base() -> None:
    profile = profiles.spike(base=5, peak=50, before_s=2, spike_s=1, after_s=3)
    assert [s.level for s in profile.segments] == [5, 50, 5]
    assert profile.duration_s == 6
    assert profile.at(2.5).level == 50


def test_ramp_goes_from_start_to_end() -> None:
    profile = profiles.ramp(start=10, end=50, duration_s=5, tick_s=1)
    assert [s.level for s in profile.segments] == [10, 20, 30, 40, 50]
    assert profile.duration_s == pytest.approx(5)


def test_diurnal_rises_to_noon_and_falls_back() -> None:
    profile = profiles.diurnal(low=2, high=40, period_s=20, cycles=2, tick_s=1)
    levels = [s.level for s in profile.segments]
    assert len(levels) == 40
    assert min(levels) >= 2
    assert max(levels) <= 40
    noon = levels.index(max(levels))
    assert 8 <= noon <= 11
    assert levels[:20] == pytest.approx(levels[20:])
    assert levels[0] < levels[5] < levels[noon] > levels[15]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        pytest.param(lambda: profiles.step(levels=[], step_s=1), "at least one level", id="step-empty"),
        pytest.param(lambda: profiles.step(levels=[1, 0], step_s=1), "every level", id="step-zero-level"),
        pytest.param(lambda: profiles.step(levels=[1], step_s=0), "step duration", id="step-zero-time"),
        pytest.param(
            lambda: profiles.spike(base=5, peak=5, before_s=1, spike_s=1, after_s=1), "above its base", id="flat-spike"
        ),
        pytest.param(lambda: profiles.ramp(start=1, end=2, duration_s=-1), "ramp duration", id="ramp-negative"),
        pytest.param(lambda: profiles.diurnal(low=5, high=1, period_s=10), "above its low", id="diurnal-upside-down"),
        pytest.param(lambda: profiles.step(levels=[float("inf")], step_s=1), "every level", id="infinite-level"),
    ],
)
def test_bad_parameters_are_refused(build: object, message: str) -> None:
    with pytest.raises(errors.InvalidProfile, match=message):
        build()  # type: ignore[operator]


def test_step_lengthens_low_levels_to_offer_enough_requests() -> None:
    profile = profiles.step(levels=[1, 10, 100], step_s=2, min_arrivals=20)
    assert [s.duration_s for s in profile.segments] == [20, 2, 2]
