"""Open-loop pacing: the arrival times a run must keep to, whatever the server's latency.

Locust's `constant_throughput` paces each user on its own: a user whose request is slow sends its next one late,
so a slowing server quietly gets less load (closed loop, coordinated omission). Here one `Schedule` per run hands
out arrival times instead: within a segment of level `r` requests per second, arrivals are `1/r` apart, counted
from the segment's start. A pool of users claims them in turn; each user sleeps until its arrival is due, sends,
and claims the next. With enough users the offered rate stays fixed while the server slows; when every user is
busy an arrival is sent late, and the lateness is recorded so the report shows it (and latency counted from the
due time includes it). `Budget` bounds the request count of a run in either mode.
"""

from __future__ import annotations

import dataclasses
import math

from modelplane.loadtest import errors, profiles


@dataclasses.dataclass(frozen=True, slots=True)
class Arrival:
    due_s: float
    segment: profiles.Segment


class Budget:
    """At most `limit` requests in a run; `take()` is False once they are spent."""

    def __init__(self, *, limit: int) -> None:
        if limit < 1:
            raise errors.InvalidRun(f"the request bound must be at least 1, got {limit}")
        self.limit = limit
        self.taken = 0

    def take(self) -> bool:
        if self.taken >= self.limit:
            return False
        self.taken += 1
        return True


class Schedule:
    """Hands out the arrivals of an open-loop run in time order, `budget` permitting."""

    def __init__(self, *, profile: profiles.Profile, budget: Budget) -> None:
        self._segments = profile.segments
        self._budget = budget
        self._index = 0
        self._count = 0

    def claim(self) -> Arrival | None:
        """The next arrival, or None when the profile is over or the request bound is spent."""
        while self._index < len(self._segments):
            segment = self._segments[self._index]
            due = segment.start_s + self._count / segment.level
            if due < segment.end_s:
                if not self._budget.take():
                    return None
                self._count += 1
                return Arrival(due_s=due, segment=segment)
            self._index += 1
            self._count = 0
        return None


def arrivals_in(segment: profiles.Segment) -> int:
    """How many arrivals a segment offers."""
    return math.ceil(segment.duration_s * segment.level)


def pool_size(*, peak_rate: float, timeout_s: float, cap: int) -> int:
    """Users an open-loop run needs so that no arrival waits for a free user while requests take up to `timeout_s`."""
    if peak_rate <= 0 or timeout_s <= 0:
        raise errors.InvalidRun("peak rate and request timeout must be positive")
    return max(1, min(cap, math.ceil(peak_rate * timeout_s) + 1))
