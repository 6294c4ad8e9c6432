"""Load profiles: how much load to offer at each moment of a run, as a list of constant segments.

Every shape (`step`, `spike`, `ramp`, `diurnal`) is piecewise constant, so each segment has one well-defined
offered level and a report can put latency and throughput against it. A level is requests per second in the
open-loop pacing mode and concurrent users in the closed-loop mode; the profile does not care which. Ramps and
the diurnal sine are sampled every `tick_s` seconds.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

from modelplane.loadtest import errors

SHAPES = ("step", "spike", "ramp", "diurnal")


@dataclasses.dataclass(frozen=True, slots=True)
class Segment:
    index: int
    start_s: float
    duration_s: float
    level: float

    @property
    def end_s(self) -> float:
        return self.start_s + self.duration_s


@dataclasses.dataclass(frozen=True, slots=True)
class Profile:
    shape: str
    segments: tuple[Segment, ...]

    @property
    def duration_s(self) -> float:
        return self.segments[-1].end_s

    @property
    def peak(self) -> float:
        return max(segment.level for segment in self.segments)

    def at(self, elapsed_s: float) -> Segment | None:
        """The segment running `elapsed_s` seconds into the run; None once the profile is over."""
        for segment in self.segments:
            if segment.start_s <= elapsed_s < segment.end_s:
                return segment
        return None


def _build(shape: str, parts: Sequence[tuple[float, float]]) -> Profile:
    segments = []
    start = 0.0
    for index, (duration, level) in enumerate(parts):
        segments.append(Segment(index=index, start_s=start, duration_s=duration, level=level))
        start += duration
    return Profile(shape=shape, segments=tuple(segments))


def _positive(name: str, value: float) -> None:
    if not value > 0 or math.isinf(value):
        raise errors.InvalidProfile(f"{name} must be a positive number, got {value}")


def step(*, levels: Sequence[float], step_s: float, min_arrivals: int = 0) -> Profile:
    """Each level in turn, `step_s` seconds each (a sweep when the levels grow).

    With `min_arrivals`, a low level lasts long enough to offer that many requests (percentiles need samples).
    """
    _positive("step duration", step_s)
    if not levels:
        raise errors.InvalidProfile("a step profile needs at least one level, e.g. --levels 1,10,100")
    for level in levels:
        _positive("every level", level)
    return _build("step", [(max(step_s, min_arrivals / level), float(level)) for level in levels])


def spike(*, base: float, peak: float, before_s: float, spike_s: float, after_s: float) -> Profile:
    """`base` load, a sudden jump to `peak` for `spike_s` seconds, then `base` again."""
    for name, value in (("base", base), ("peak", peak), ("before", before_s), ("spike", spike_s), ("after", after_s)):
        _positive(f"spike {name}", value)
    if peak <= base:
        raise errors.InvalidProfile(f"spike peak ({peak}) must be above its base ({base})")
    return _build("spike", [(before_s, base), (spike_s, peak), (after_s, base)])


def ramp(*, start: float, end: float, duration_s: float, tick_s: float = 1.0) -> Profile:
    """A straight line from `start` to `end` over `duration_s`, one segment per `tick_s`."""
    for name, value in (("start", start), ("end", end), ("duration", duration_s), ("tick", tick_s)):
        _positive(f"ramp {name}", value)
    count = max(1, round(duration_s / tick_s))
    if count == 1:
        return _build("ramp", [(duration_s, end)])
    return _build("ramp", [(duration_s / count, start + (end - start) * i / (count - 1)) for i in range(count)])


def diurnal(*, low: float, high: float, period_s: float, cycles: float = 1.0, tick_s: float = 1.0) -> Profile:
    """A day's traffic compressed: a sine from `low` (night) up to `high` (noon) and back, `cycles` times."""
    for name, value in (("low", low), ("high", high), ("period", period_s), ("cycles", cycles), ("tick", tick_s)):
        _positive(f"diurnal {name}", value)
    if high <= low:
        raise errors.InvalidProfile(f"diurnal high ({high}) must be above its low ({low})")
    count = max(2, round(period_s * cycles / tick_s))
    width = period_s * cycles / count
    parts = []
    for i in range(count):
        middle = (i + 0.5) * width
        phase = 2 * math.pi * middle / period_s
        parts.append((width, low + (high - low) * (1 - math.cos(phase)) / 2))
    return _build("diurnal", parts)
