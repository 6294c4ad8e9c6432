"""Choosing an InferenceService's `batcher` settings from measurements: the pure core of `modelplane tune-batching`.

The sweep measures what one batch of `b` rows costs on the endpoint (a request carrying `b` rows, sent one at a
time: the batch a server-side batcher would form). From that:

- capacity of size `b`: `b / p50(b)` requests per second, one batch at a time;
- batch delay: a batcher that waits for `maxBatchSize` or `maxLatency` (KServe's sidecar; an adaptive batcher
  waits less) holds a request up to `min(maxLatency, time for b-1 more arrivals)`;
- predicted p99: that wait plus the measured p99 of a batch of `b`.

`maxLatency` gets what is left of the p99 target after the batch's own p99, and no more than the time a batch
takes to fill at the expected rate (waiting longer only adds delay). Among the sizes that fit the target, the
smallest one whose capacity covers the expected rate with 25% headroom wins; with no expected rate, the one with
the highest capacity. `apply_batcher` writes the choice into an InferenceService mapping (ruamel's round-trip
maps included, so comments stay).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import MutableMapping, Sequence
from typing import Any

#: The expected rate may use at most this share of a size's capacity.
UTILISATION = 0.8
COMPONENTS = ("predictor", "transformer", "explainer")


class TuningError(ValueError):
    """The measurements cannot support a recommendation; the message says why and what to try."""


@dataclasses.dataclass(frozen=True, slots=True)
class Measurement:
    batch_size: int
    p50_ms: float
    p99_ms: float
    requests: int
    failed: int


@dataclasses.dataclass(frozen=True, slots=True)
class Candidate:
    batch_size: int
    p50_ms: float
    p99_ms: float
    capacity_rps: float
    max_latency_ms: int
    predicted_p99_ms: float
    fits: bool
    why: str


@dataclasses.dataclass(frozen=True, slots=True)
class Recommendation:
    max_batch_size: int
    max_latency_ms: int
    candidates: tuple[Candidate, ...]
    note: str


def candidate(*, measurement: Measurement, target_p99_ms: float, rate_rps: float | None) -> Candidate:
    """What a batcher of this size would give under the target and the expected rate."""
    size = measurement.batch_size
    capacity = size / (measurement.p50_ms / 1000.0) if measurement.p50_ms > 0 else math.inf
    budget = target_p99_ms - measurement.p99_ms
    fill_ms = (size - 1) / rate_rps * 1000.0 if rate_rps else math.inf
    max_latency = max(1, math.floor(min(budget, fill_ms))) if budget >= 1 else 0
    predicted = measurement.p99_ms + min(max_latency, fill_ms)
    if measurement.failed:
        return _candidate(measurement, capacity, max_latency, predicted, False, f"{measurement.failed} requests failed")
    if budget < 1:
        return _candidate(
            measurement, capacity, 0, measurement.p99_ms, False, f"a batch alone takes p99 {measurement.p99_ms:.1f} ms"
        )
    if rate_rps and capacity * UTILISATION < rate_rps:
        return _candidate(
            measurement, capacity, max_latency, predicted, False, f"capacity {capacity:.0f} req/s is short of the rate"
        )
    return _candidate(measurement, capacity, max_latency, predicted, True, "fits")


def _candidate(
    measurement: Measurement, capacity: float, max_latency: int, predicted: float, fits: bool, why: str
) -> Candidate:
    return Candidate(
        batch_size=measurement.batch_size,
        p50_ms=measurement.p50_ms,
        p99_ms=measurement.p99_ms,
        capacity_rps=capacity,
        max_latency_ms=max_latency,
        predicted_p99_ms=predicted,
        fits=fits,
        why=why,
    )


def recommend(
    *, measurements: Sequence[Measurement], target_p99_ms: float, rate_rps: float | None = None
) -> Recommendation:
    """The batcher settings for the target p99 (and expected rate, when known), with the evidence."""
    if not target_p99_ms > 0:
        raise TuningError(f"the p99 target must be a positive number of milliseconds, got {target_p99_ms}")
    if rate_rps is not None and not rate_rps > 0:
        raise TuningError(f"the expected rate must be a positive number of requests per second, got {rate_rps}")
    if not measurements:
        raise TuningError("no measurements: the sweep answered nothing; check the URL, model name and payload")
    ordered = sorted(measurements, key=lambda m: m.batch_size)
    candidates = tuple(candidate(measurement=m, target_p99_ms=target_p99_ms, rate_rps=rate_rps) for m in ordered)
    fitting = [c for c in candidates if c.fits]
    if fitting:
        if rate_rps is None:
            best = max(fitting, key=lambda c: (c.capacity_rps, -c.batch_size))
            note = f"highest capacity within p99 {target_p99_ms:g} ms"
        else:
            best = fitting[0]
            note = f"smallest batch that serves {rate_rps:g} req/s at <= {UTILISATION:.0%} of capacity"
        return Recommendation(
            max_batch_size=best.batch_size, max_latency_ms=best.max_latency_ms, candidates=candidates, note=note
        )
    within = [c for c in candidates if c.max_latency_ms >= 1 and "failed" not in c.why]
    if rate_rps is not None and within:
        best = max(within, key=lambda c: c.capacity_rps)
        return Recommendation(
            max_batch_size=best.batch_size,
            max_latency_ms=best.max_latency_ms,
            candidates=candidates,
            note=(
                f"no size serves {rate_rps:g} req/s on one replica within the target: this is the highest capacity "
                f"({best.capacity_rps:.0f} req/s); add replicas (minReplicas) for the rest"
            ),
        )
    smallest = candidates[0]
    raise TuningError(
        f"no batch size meets p99 {target_p99_ms:g} ms: the smallest measured ({smallest.batch_size}) takes p99 "
        f"{smallest.p99_ms:.1f} ms ({smallest.why}); raise the target or make the model faster"
    )


def apply_batcher(
    document: MutableMapping[str, Any], *, component: str, max_batch_size: int, max_latency_ms: int
) -> list[str]:
    """Set `spec.<component>.batcher.{maxBatchSize,maxLatency}` in place; returns what changed, as lines."""
    if document.get("kind") != "InferenceService":
        raise TuningError(f"the document is a {document.get('kind')!r}, not an InferenceService")
    if component not in COMPONENTS:
        raise TuningError(f"component {component!r} is not one of {', '.join(COMPONENTS)}")
    spec = document.get("spec")
    part = spec.get(component) if isinstance(spec, MutableMapping) else None
    if not isinstance(part, MutableMapping):
        raise TuningError(f"the InferenceService has no spec.{component}; add it before tuning its batcher")
    batcher = part.get("batcher")
    if batcher is None:
        part["batcher"] = batcher = type(part)()
    if not isinstance(batcher, MutableMapping):
        raise TuningError(f"spec.{component}.batcher must be a mapping, found {type(batcher).__name__}")
    changes = []
    for key, value in (("maxBatchSize", max_batch_size), ("maxLatency", max_latency_ms)):
        old = batcher.get(key)
        if old != value:
            changes.append(f"spec.{component}.batcher.{key}: {old if old is not None else '(unset)'} -> {value}")
            batcher[key] = value
    return changes
