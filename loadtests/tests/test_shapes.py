"""Covers shapes: the LoadTestShapes' ticks (closed-loop users follow the level, open-loop pool is constant,
the lead-in and drain), and the named shapes built from class attributes as a plain locustfile would."""

from __future__ import annotations

from typing import ClassVar

import pytest
from modelplane.loadtest import profiles, shapes


def _at(shape: shapes.ProfileShape, elapsed: float) -> tuple[int, float] | None:
    shape.start_time -= elapsed
    try:
        return shape.tick()
    finally:
        shape.start_time += elapsed


def test_closed_loop_users_follow_the_level_then_stop_after_the_drain() -> None:
    shape = shapes.for_profile(profiles.step(levels=[2, 7], step_s=1), drain_s=3)
    assert _at(shape, 0.5) == (2, shapes.SPAWN_RATE)
    assert _at(shape, 1.5) == (7, shapes.SPAWN_RATE)
    assert _at(shape, 4.0) == (7, shapes.SPAWN_RATE)
    assert _at(shape, 5.1) is None


def test_open_loop_holds_its_pool_through_lead_in_profile_and_drain() -> None:
    shape = shapes.for_profile(
        profiles.spike(base=1, peak=9, before_s=1, spike_s=1, after_s=1), open_loop_pool=50, lead_in_s=0.5, drain_s=1
    )
    assert [_at(shape, t) for t in (0.0, 2.0, 4.0)] == [(50, shapes.SPAWN_RATE)] * 3
    assert _at(shape, 4.6) is None


def test_named_shapes_read_their_class_attributes() -> None:
    class Busy(shapes.StepShape):
        levels: ClassVar[tuple[float, ...]] = (3.0, 30.0)
        step_s: ClassVar[float] = 2.0

    shape = Busy()
    assert _at(shape, 3.0) == (30, shapes.SPAWN_RATE)
    assert _at(shape, 4.5) is None


@pytest.mark.parametrize(
    ("shape_class", "duration"),
    [
        pytest.param(shapes.SpikeShape, 30.0, id="spike"),
        pytest.param(shapes.RampShape, 30.0, id="ramp"),
        pytest.param(shapes.DiurnalShape, 60.0, id="diurnal"),
    ],
)
def test_the_named_shapes_have_working_defaults(shape_class: type[shapes.ProfileShape], duration: float) -> None:
    concrete = type(shape_class.__name__, (shape_class,), {"abstract": False})
    shape = concrete()
    assert shape.profile().duration_s == pytest.approx(duration)
    assert _at(shape, 1.0) is not None
    assert _at(shape, duration + 0.1) is None
