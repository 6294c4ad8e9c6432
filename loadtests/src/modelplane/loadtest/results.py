"""What a run measured: per-request samples summarised per segment and per offered level, and their CSV files.

A run writes, beside locust's own `_stats.csv` / `_stats_history.csv` / `_failures.csv`:
`_segments.csv` (one row per profile segment, in time order) and `_levels.csv` (segments of equal level merged, in
level order), plus `_run.json` with the run's settings. Latency is counted from the arrival's due time in the
open-loop mode (so time spent waiting for a free user counts) and from the send in the closed-loop mode.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import pathlib
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from modelplane.loadtest import errors, profiles

#: An arrival counts as late when it was sent this much after its due time.
LATE_MS = 10.0


@dataclasses.dataclass(frozen=True, slots=True)
class Sample:
    segment: int
    latency_ms: float
    lateness_ms: float
    ok: bool


@dataclasses.dataclass(frozen=True, slots=True)
class Summary:
    """Latency and throughput of a group of segments (one segment, or every segment of one level)."""

    key: int
    level: float
    start_s: float
    duration_s: float
    sent: int
    ok: int
    failed: int
    throughput_rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    late: int


FIELDS = [field.name for field in dataclasses.fields(Summary)]


def _summary(*, key: int, level: float, start_s: float, duration_s: float, samples: Sequence[Sample]) -> Summary:
    latencies = np.array([s.latency_ms for s in samples if s.ok], dtype=float)
    ok = int(latencies.size)
    p50, p95, p99 = np.percentile(latencies, [50, 95, 99]).tolist() if ok else (float("nan"),) * 3
    return Summary(
        key=key,
        level=level,
        start_s=start_s,
        duration_s=duration_s,
        sent=len(samples),
        ok=ok,
        failed=len(samples) - ok,
        throughput_rps=ok / duration_s if duration_s > 0 else 0.0,
        p50_ms=float(p50),
        p95_ms=float(p95),
        p99_ms=float(p99),
        max_ms=float(latencies.max()) if ok else float("nan"),
        late=sum(1 for s in samples if s.lateness_ms > LATE_MS),
    )


def by_segment(*, samples: Iterable[Sample], segments: Sequence[profiles.Segment], ran_s: float) -> list[Summary]:
    """One summary per segment that started before the run ended (a cut-short last segment counts what it ran)."""
    grouped: dict[int, list[Sample]] = {}
    for sample in samples:
        grouped.setdefault(sample.segment, []).append(sample)
    out = []
    for segment in segments:
        if segment.start_s >= ran_s:
            break
        duration = min(segment.end_s, ran_s) - segment.start_s
        out.append(
            _summary(
                key=segment.index,
                level=segment.level,
                start_s=segment.start_s,
                duration_s=duration,
                samples=grouped.get(segment.index, []),
            )
        )
    return out


def by_level(*, samples: Iterable[Sample], segments: Sequence[profiles.Segment], ran_s: float) -> list[Summary]:
    """Segments of equal level merged, in level order; `key` is the first segment's index."""
    level_of = {segment.index: segment.level for segment in segments if segment.start_s < ran_s}
    grouped: dict[float, list[Sample]] = {}
    for sample in samples:
        if sample.segment in level_of:
            grouped.setdefault(level_of[sample.segment], []).append(sample)
    durations: dict[float, float] = {}
    first: dict[float, profiles.Segment] = {}
    for segment in segments:
        if segment.start_s >= ran_s:
            break
        durations[segment.level] = durations.get(segment.level, 0.0) + min(segment.end_s, ran_s) - segment.start_s
        first.setdefault(segment.level, segment)
    return [
        _summary(
            key=first[level].index,
            level=level,
            start_s=first[level].start_s,
            duration_s=durations[level],
            samples=grouped.get(level, []),
        )
        for level in sorted(durations)
    ]


def write(path: pathlib.Path, rows: Sequence[Summary]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        for row in rows:
            writer.writerow({name: _fmt(getattr(row, name)) for name in FIELDS})


def read(path: pathlib.Path) -> list[Summary]:
    """Summaries back from a `_segments.csv` or `_levels.csv` file."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise errors.InvalidRun(f"cannot read {path}: {exc.strerror}; is this the prefix of a finished run?") from exc
    out = []
    for number, row in enumerate(rows, start=2):
        try:
            out.append(
                Summary(
                    key=int(row["key"]),
                    level=float(row["level"]),
                    start_s=float(row["start_s"]),
                    duration_s=float(row["duration_s"]),
                    sent=int(row["sent"]),
                    ok=int(row["ok"]),
                    failed=int(row["failed"]),
                    throughput_rps=float(row["throughput_rps"]),
                    p50_ms=float(row["p50_ms"]),
                    p95_ms=float(row["p95_ms"]),
                    p99_ms=float(row["p99_ms"]),
                    max_ms=float(row["max_ms"]),
                    late=int(row["late"]),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise errors.InvalidRun(f"{path} line {number} is not a summary row ({exc}); is it a run's file?") from exc
    return out


def write_run(path: pathlib.Path, settings: dict[str, Any]) -> None:
    path.write_text(json.dumps(settings, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def read_run(path: pathlib.Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise errors.InvalidRun(f"cannot read {path}: {exc.strerror}; is this the prefix of a finished run?") from exc
    except json.JSONDecodeError as exc:
        raise errors.InvalidRun(f"{path} is not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise errors.InvalidRun(f"{path} must hold a JSON object")
    return document


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)
