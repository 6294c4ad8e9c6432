"""Prometheus metrics of the model server, in a registry of its own (no global state at import time).

Request count, error count and latency by model and protocol; batch size and queue depth per model; requests in
flight. Label children are cached so the hot path costs a dict lookup and an observe.
"""

from __future__ import annotations

from typing import Any

import prometheus_client

_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


class Metrics:
    def __init__(self) -> None:
        self.registry = prometheus_client.CollectorRegistry(auto_describe=True)
        self._requests = prometheus_client.Counter(
            "modelplane_requests", "Inference requests answered", ["model", "protocol"], registry=self.registry
        )
        self._errors = prometheus_client.Counter(
            "modelplane_request_errors",
            "Inference requests answered with an error",
            ["model", "protocol", "code"],
            registry=self.registry,
        )
        self._latency = prometheus_client.Histogram(
            "modelplane_request_duration_seconds",
            "Time from request read to response ready",
            ["model", "protocol"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._batch = prometheus_client.Histogram(
            "modelplane_batch_size",
            "Requests merged into one predict call",
            ["model"],
            buckets=_BATCH_BUCKETS,
            registry=self.registry,
        )
        self._queue = prometheus_client.Gauge(
            "modelplane_queue_depth", "Requests waiting for a busy model", ["model"], registry=self.registry
        )
        self.in_flight = prometheus_client.Gauge(
            "modelplane_requests_in_flight", "Inference requests being served", registry=self.registry
        )
        self._children: dict[tuple[str, ...], Any] = {}

    def _child(self, metric: Any, *labels: str) -> Any:
        key = (metric._name, *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def observe(self, *, model: str, protocol: str, seconds: float, code: int) -> None:
        self._child(self._requests, model, protocol).inc()
        self._child(self._latency, model, protocol).observe(seconds)
        if code >= 400:
            self._child(self._errors, model, protocol, str(code)).inc()

    def batch_size(self, model: str, size: int) -> None:
        self._child(self._batch, model).observe(size)

    def queue_depth(self, model: str, depth: int) -> None:
        self._child(self._queue, model).set(depth)

    def render(self) -> bytes:
        return prometheus_client.generate_latest(self.registry)
