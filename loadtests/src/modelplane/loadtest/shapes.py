"""Locust `LoadTestShape`s for the four profiles: `StepShape`, `SpikeShape`, `RampShape`, `DiurnalShape`.

In the closed-loop mode a shape sets the number of users to the profile's level, so each user is one concurrent
caller. In the open-loop mode the level is a request rate that `pacing.Schedule` keeps to, and the shape holds a
fixed pool of users for the whole run. `tick()` returns None when the profile is over, which ends a locust run.
The subclasses take their settings as class attributes, so a plain locustfile can subclass them; `for_profile`
makes one for a profile built in code. Locust ticks a shape once a second: closed-loop segments shorter than that
are not honoured (open-loop pacing is exact).
"""

from __future__ import annotations

from typing import ClassVar

import locust
from modelplane.loadtest import profiles

#: Users started per second when a closed-loop level rises (a level change is near-immediate).
SPAWN_RATE = 10_000.0


class ProfileShape(locust.LoadTestShape):
    """Runs a `profiles.Profile`; `open_loop_pool` > 0 switches to the open-loop mode."""

    abstract: ClassVar[bool] = True
    open_loop_pool: ClassVar[int] = 0
    lead_in_s: ClassVar[float] = 0.0
    #: Seconds the users stay after the profile ends, so requests still in flight are answered, not cut off.
    drain_s: ClassVar[float] = 0.0

    def profile(self) -> profiles.Profile:
        raise NotImplementedError(f"{type(self).__name__} must say which profile it runs")

    def tick(self) -> tuple[int, float] | None:
        elapsed = float(self.get_run_time()) - self.lead_in_s  # type: ignore[no-untyped-call]
        profile = self.profile()
        if elapsed >= profile.duration_s + self.drain_s:
            return None
        if self.open_loop_pool:
            return self.open_loop_pool, SPAWN_RATE
        segment = profile.at(min(max(elapsed, 0.0), profile.segments[-1].start_s))
        return max(1, round(segment.level if segment else profile.segments[-1].level)), SPAWN_RATE


def for_profile(
    built: profiles.Profile, *, open_loop_pool: int = 0, lead_in_s: float = 0.0, drain_s: float = 0.0
) -> ProfileShape:
    """A shape instance that runs `built`."""

    class _Shape(ProfileShape):
        abstract = False

        def profile(self) -> profiles.Profile:
            return built

    _Shape.open_loop_pool = open_loop_pool
    _Shape.lead_in_s = lead_in_s
    _Shape.drain_s = drain_s
    _Shape.__name__ = f"{built.shape.capitalize()}Shape"
    return _Shape()  # type: ignore[no-untyped-call]


class StepShape(ProfileShape):
    """`levels` in turn, `step_s` seconds each."""

    abstract = True
    levels: ClassVar[tuple[float, ...]] = (1.0, 10.0, 50.0)
    step_s: ClassVar[float] = 10.0

    def profile(self) -> profiles.Profile:
        return profiles.step(levels=self.levels, step_s=self.step_s)


class SpikeShape(ProfileShape):
    """`base`, then `peak` for `spike_s`, then `base` again."""

    abstract = True
    base: ClassVar[float] = 5.0
    peak: ClassVar[float] = 50.0
    before_s: ClassVar[float] = 10.0
    spike_s: ClassVar[float] = 10.0
    after_s: ClassVar[float] = 10.0

    def profile(self) -> profiles.Profile:
        return profiles.spike(
            base=self.base, peak=self.peak, before_s=self.before_s, spike_s=self.spike_s, after_s=self.after_s
        )


class RampShape(ProfileShape):
    """A line from `start` to `end` over `duration_s`."""

    abstract = True
    start: ClassVar[float] = 1.0
    end: ClassVar[float] = 50.0
    duration_s: ClassVar[float] = 30.0

    def profile(self) -> profiles.Profile:
        return profiles.ramp(start=self.start, end=self.end, duration_s=self.duration_s)


class DiurnalShape(ProfileShape):
    """A sine between `low` and `high` with period `period_s`, `cycles` times."""

    abstract = True
    low: ClassVar[float] = 2.0
    high: ClassVar[float] = 40.0
    period_s: ClassVar[float] = 60.0
    cycles: ClassVar[float] = 1.0

    def profile(self) -> profiles.Profile:
        return profiles.diurnal(low=self.low, high=self.high, period_s=self.period_s, cycles=self.cycles)
