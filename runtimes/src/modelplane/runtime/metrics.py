"""Prometheus metrics of the model server, in a registry of its own (no global state at import time).

Request count, error count and latency by model and protocol; batch size and queue depth per model; requests in
flight. The hot path only bumps plain Python counters (a dict lookup, an add and a bisect for the histogram
bucket); a custom collector turns them into Prometheus metric families when `/metrics` is scraped.

A server of several worker processes answers `/metrics` for all of them: each worker publishes a `snapshot()` of
every sample in its registry (plain JSON) and the worker scraped adds its peers' latest snapshots to its own
(`combine`): counters, histograms and gauges (queue depth, requests in flight) are sums over the workers.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import prometheus_client
from prometheus_client import core

LATENCY_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
BATCH_BUCKETS = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0)


class _Histogram:
    __slots__ = ("bounds", "counts", "total")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.total = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.total += value

    def buckets(self) -> list[tuple[str, float]]:
        out, running = [], 0
        for bound, count in zip((*self.bounds, float("inf")), self.counts, strict=True):
            running += count
            out.append(("+Inf" if bound == float("inf") else repr(bound), float(running)))
        return out


#: One registry's samples: [name, type, help, [[sample name, labels, value], ...]] per metric family.
Snapshot = list[list[Any]]


def combine(snapshots: Iterable[Snapshot]) -> Snapshot:
    """The samples of several processes' registries as one: values of the same sample summed, except `_created`
    timestamps, which keep the earliest. Families keep the order they first appear in."""
    families: dict[str, tuple[str, str, dict[tuple[str, tuple[tuple[str, str], ...]], float]]] = {}
    for snapshot in snapshots:
        for name, kind, documentation, samples in snapshot:
            merged = families.setdefault(name, (kind, documentation, {}))[2]
            for sample_name, labels, value in samples:
                key = (sample_name, tuple(sorted(labels.items())))
                if key not in merged:
                    merged[key] = value
                elif sample_name.endswith("_created"):
                    merged[key] = min(merged[key], value)
                else:
                    merged[key] += value
    return [
        [name, kind, documentation, [[sample, dict(labels), value] for (sample, labels), value in merged.items()]]
        for name, (kind, documentation, merged) in families.items()
    ]


class Metrics:
    def __init__(self, *, peers: Callable[[], Iterable[Snapshot]] | None = None) -> None:
        """`peers`: the latest snapshots of the server's other worker processes, added to this one's on a scrape."""
        self.registry = prometheus_client.CollectorRegistry(auto_describe=True)
        self._peers = peers
        self._requests: dict[tuple[str, str], int] = {}
        self._errors: dict[tuple[str, str, str], int] = {}
        self._latency: dict[tuple[str, str], _Histogram] = {}
        self._batch: dict[str, _Histogram] = {}
        self._queue: dict[str, int] = {}
        self.in_flight = 0
        self.registry.register(_Collector(self))

    def observe(self, *, model: str, protocol: str, seconds: float, code: int) -> None:
        key = (model, protocol)
        self._requests[key] = self._requests.get(key, 0) + 1
        histogram = self._latency.get(key)
        if histogram is None:
            histogram = self._latency[key] = _Histogram(LATENCY_BUCKETS)
        histogram.observe(seconds)
        if code >= 400:
            error_key = (model, protocol, str(code))
            self._errors[error_key] = self._errors.get(error_key, 0) + 1

    def batch_size(self, model: str, size: int) -> None:
        histogram = self._batch.get(model)
        if histogram is None:
            histogram = self._batch[model] = _Histogram(BATCH_BUCKETS)
        histogram.observe(size)

    def queue_depth(self, model: str, depth: int) -> None:
        self._queue[model] = depth

    def render(self) -> bytes:
        if self._peers is None:
            return prometheus_client.generate_latest(self.registry)
        return prometheus_client.generate_latest(_Samples(combine([self.snapshot(), *self._peers()])))

    def snapshot(self) -> Snapshot:
        """Every sample of this process's registry, as plain JSON data."""
        return [
            [family.name, family.type, family.documentation, [[s.name, s.labels, s.value] for s in family.samples]]
            for family in self.registry.collect()
        ]


class _Samples:
    """A registry-like source of metric families rebuilt from a snapshot, for the text exposition."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot

    def collect(self) -> Iterator[core.Metric]:
        for name, kind, documentation, samples in self._snapshot:
            family = core.Metric(name, documentation, kind)
            for sample_name, labels, value in samples:
                family.add_sample(sample_name, labels, value)
            yield family


class _Collector:
    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def describe(self) -> list[Any]:
        return []

    def collect(self) -> Iterator[Any]:
        m = self._metrics
        requests = core.CounterMetricFamily(
            "modelplane_requests",
            "Inference requests answered",
            labels=["model", "protocol"],
        )
        for (model, protocol), count in sorted(m._requests.items()):
            requests.add_metric([model, protocol], count)
        yield requests
        errors = core.CounterMetricFamily(
            "modelplane_request_errors",
            "Inference requests answered with an error",
            labels=["model", "protocol", "code"],
        )
        for labels, count in sorted(m._errors.items()):
            errors.add_metric(list(labels), count)
        yield errors
        latency = core.HistogramMetricFamily(
            "modelplane_request_duration_seconds",
            "Time from request read to response ready",
            labels=["model", "protocol"],
        )
        for (model, protocol), histogram in sorted(m._latency.items()):
            latency.add_metric([model, protocol], histogram.buckets(), histogram.total)
        yield latency
        batch = core.HistogramMetricFamily(
            "modelplane_batch_size",
            "Requests merged into one predict call",
            labels=["model"],
        )
        for model, histogram in sorted(m._batch.items()):
            batch.add_metric([model], histogram.buckets(), histogram.total)
        yield batch
        queue = core.GaugeMetricFamily(
            "modelplane_queue_depth",
            "Requests waiting for a busy model",
            labels=["model"],
        )
        for model, depth in sorted(m._queue.items()):
            queue.add_metric([model], depth)
        yield queue
        yield core.GaugeMetricFamily(
            "modelplane_requests_in_flight",
            "Inference requests being served",
            value=m.in_flight,
        )
