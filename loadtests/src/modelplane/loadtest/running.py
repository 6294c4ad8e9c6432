"""One headless load run, in this process: locust's local runner, our pacing, bounds and result files.

`run(settings)` starts a `locust.env.Environment` with a local runner and the profile's shape, and a watcher
greenlet that ends the run at the first of: the profile is over (and in-flight requests are answered), the
request bound is spent, the time bound is reached, or, when asked, the server is saturated (a segment's p99 above
`saturation_ms`, more than 1% failures, or more requests still in flight at its end than the level would leave
if each took `saturation_ms`: the server fell behind). At every
segment boundary it scrapes the runtime's `/metrics` for the batch-size histogram and, with a `replicas.Watch`,
it counts the InferenceService's ready pods. Files written under `csv_prefix`: locust's `_stats.csv`,
`_stats_history.csv`, `_failures.csv`, `_exceptions.csv`, and ours: `_segments.csv`, `_levels.csv`,
`_batches.csv`, `_replicas.csv`, `_run.json`.

Importing this module imports locust, which patches the standard library for gevent unless
`LOCUST_SKIP_MONKEY_PATCH=1` is set: the command line imports it only when it runs a load test.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import pathlib
import signal
import time
import urllib.error
import urllib.request
from typing import Any

import gevent
import locust.env
import locust.stats
from modelplane.loadtest import errors, metrics, pacing, profiles, replicas, results, shapes, targets, users

PACINGS = ("open", "closed")
log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, slots=True)
class RunSettings:
    target: targets.Target
    body: bytes
    profile: profiles.Profile
    csv_prefix: pathlib.Path
    max_requests: int
    max_run_time_s: float
    pacing: str = "open"
    timeout_s: float = 10.0
    pool_cap: int = 2000
    scrape_metrics: bool = True
    stop_when_saturated: bool = False
    saturation_ms: float = 1000.0
    watch: replicas.Watch | None = None
    label: str = ""

    def __post_init__(self) -> None:
        if self.pacing not in PACINGS:
            raise errors.InvalidRun(f"pacing {self.pacing!r} is not one of {', '.join(PACINGS)}")
        if not (self.max_run_time_s > 0 and math.isfinite(self.max_run_time_s)):
            raise errors.InvalidRun(f"the time bound must be a positive number of seconds, got {self.max_run_time_s}")
        if not self.timeout_s > 0:
            raise errors.InvalidRun(f"the request timeout must be positive, got {self.timeout_s}")


@dataclasses.dataclass(frozen=True, slots=True)
class Outcome:
    segments: list[results.Summary]
    levels: list[results.Summary]
    stopped: str
    ran_s: float
    requests: int
    batches: list[tuple[int, float, metrics.Histogram]]

    @property
    def saturated(self) -> bool:
        return self.stopped.startswith("saturated")


def run(settings: RunSettings) -> Outcome:
    prefix = settings.csv_prefix
    if not prefix.parent.is_dir():
        raise errors.InvalidRun(f"the output folder {prefix.parent} does not exist; create it first")
    budget = pacing.Budget(limit=settings.max_requests)
    open_loop = settings.pacing == "open"
    pool = (
        pacing.pool_size(peak_rate=settings.profile.peak, timeout_s=settings.timeout_s, cap=settings.pool_cap)
        if open_loop
        else 0
    )
    lead_in = 0.5 + pool / 2000.0 if open_loop else 0.0
    state = users.RunState(
        target=settings.target,
        body=settings.body.decode(),
        profile=settings.profile,
        budget=budget,
        schedule=pacing.Schedule(profile=settings.profile, budget=budget) if open_loop else None,
        t0=math.inf,
    )
    user_class = users.bind(state, timeout_s=settings.timeout_s)
    shape = shapes.for_profile(
        settings.profile, open_loop_pool=pool, lead_in_s=lead_in, drain_s=settings.timeout_s + 1.0
    )
    env = locust.env.Environment(user_classes=[user_class], shape_class=shape, host=settings.target.origin)
    runner = env.create_local_runner()
    writer = locust.stats.StatsCSVFileWriter(env, locust.stats.PERCENTILES_TO_REPORT, str(prefix), full_history=False)
    background = [gevent.spawn(writer.stats_writer), gevent.spawn(locust.stats.stats_history, runner)]
    watcher = _Watcher(settings=settings, state=state, runner=runner)
    started = time.perf_counter()
    state.t0 = started + lead_in
    runner.start_shape()
    try:
        stopped = watcher.watch(started=started)
    finally:
        state.closed = True
        runner.quit()
        # One more turn of locust's CSV writer, so its files hold the final counts.
        gevent.sleep(locust.stats.CSV_STATS_INTERVAL_SEC + 0.1)
        gevent.killall(background)
        writer.close_files()
    ran_s = min(time.perf_counter(), watcher.profile_end) - state.t0
    segments = results.by_segment(samples=state.samples, segments=settings.profile.segments, ran_s=ran_s)
    levels = results.by_level(samples=state.samples, segments=settings.profile.segments, ran_s=ran_s)
    results.write(pathlib.Path(f"{prefix}_segments.csv"), segments)
    results.write(pathlib.Path(f"{prefix}_levels.csv"), levels)
    metrics.write(pathlib.Path(f"{prefix}_batches.csv"), watcher.batches)
    if settings.watch is not None:
        replicas.write(pathlib.Path(f"{prefix}_replicas.csv"), watcher.pods)
    results.write_run(
        pathlib.Path(f"{prefix}_run.json"),
        {
            "label": settings.label or settings.target.model,
            "target": settings.target.base_url,
            "model": settings.target.model,
            "protocol": settings.target.protocol,
            "shape": settings.profile.shape,
            "pacing": settings.pacing,
            "users": pool if open_loop else "level",
            "max_requests": settings.max_requests,
            "max_run_time_s": settings.max_run_time_s,
            "stopped": stopped,
            "ran_s": round(ran_s, 3),
            "requests": len(state.samples),
            "metrics_note": watcher.metrics_note,
        },
    )
    return Outcome(
        segments=segments,
        levels=levels,
        stopped=stopped,
        ran_s=ran_s,
        requests=len(state.samples),
        batches=watcher.batches,
    )


def stop_on_signals() -> None:
    """SIGTERM and SIGINT end a run as Ctrl-C would, so the servers a benchmark started are stopped too."""
    main = gevent.getcurrent()
    hub = gevent.get_hub()
    for number in (signal.SIGTERM, signal.SIGINT):
        gevent.signal_handler(number, hub.loop.run_callback, main.throw, KeyboardInterrupt)


class _Watcher:
    """Ends the run at its first bound and takes the per-segment scrapes."""

    def __init__(self, *, settings: RunSettings, state: users.RunState, runner: Any) -> None:
        self.settings = settings
        self.state = state
        self.runner = runner
        self.batches: list[tuple[int, float, metrics.Histogram]] = []
        self.pods: list[replicas.Count] = []
        self.metrics_note = ""
        self.profile_end = math.inf

    def watch(self, *, started: float) -> str:
        settings, state = self.settings, self.state
        segments = list(settings.profile.segments)
        previous = self._scrape()
        next_pods = 0.0
        while True:
            now = time.perf_counter()
            elapsed = now - state.t0
            if settings.watch is not None and now >= next_pods:
                self._count_pods(elapsed)
                next_pods = now + replicas.INTERVAL_S
            while segments and elapsed >= segments[0].end_s:
                segment = segments.pop(0)
                scraped = self._scrape()
                self.batches.append((segment.index, segment.level, scraped.minus(previous)))
                previous = scraped
                if settings.stop_when_saturated and self._saturated(segment):
                    self.profile_end = state.t0 + segment.end_s
                    return f"saturated at level {segment.level:g}"
            if now - started >= settings.max_run_time_s:
                self.profile_end = now
                return f"time bound ({settings.max_run_time_s:g} s)"
            if state.budget.taken >= state.budget.limit and len(state.samples) >= state.budget.taken:
                self.profile_end = min(self.profile_end, now)
                return f"request bound ({state.budget.limit})"
            if elapsed >= settings.profile.duration_s:
                self.profile_end = min(self.profile_end, state.t0 + settings.profile.duration_s)
                if state.in_flight == 0 or elapsed >= settings.profile.duration_s + settings.timeout_s:
                    return "profile done"
            gevent.sleep(0.02)

    def _saturated(self, segment: profiles.Segment) -> bool:
        done = [s for s in self.state.samples if s.segment == segment.index]
        if not done:
            return self.state.in_flight > 0
        summary = results.by_segment(samples=done, segments=[segment], ran_s=segment.end_s)[0]
        # Little's law: at this level, requests answered within saturation_ms leave level * saturation_ms in flight.
        backlog = self.state.in_flight > max(5.0, segment.level * self.settings.saturation_ms / 1000.0)
        return summary.p99_ms > self.settings.saturation_ms or summary.failed > 0.01 * summary.sent or backlog

    def _scrape(self) -> metrics.Histogram:
        if not self.settings.scrape_metrics:
            return metrics.EMPTY
        url = self.settings.target.metrics_url
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - the target was checked by targets.parse
                text = answer.read().decode()
        except (urllib.error.URLError, OSError) as exc:
            self.metrics_note = f"no batch sizes: {url} did not answer ({exc})"
            return metrics.EMPTY
        found = metrics.histogram(text, model=self.settings.target.model)
        if not found.buckets:
            self.metrics_note = f"no batch sizes: {url} has no {metrics.BATCH_METRIC} histogram"
        return found

    def _count_pods(self, elapsed: float) -> None:
        watch = self.settings.watch
        if watch is None:
            return
        try:
            ready, total = replicas.poll(watch)
        except errors.InvalidRun as exc:
            log.warning("%s", exc)
            return
        self.pods.append(replicas.Count(t_s=elapsed, ready=ready, total=total))
