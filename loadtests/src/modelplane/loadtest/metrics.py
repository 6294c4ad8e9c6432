"""Batch sizes as the model server saw them: its Prometheus batch-size histogram, read between two scrapes.

The runtime exports `modelplane_batch_size` (requests merged into one predict call, per model). A run scrapes
`/metrics` at every segment boundary; the difference of two scrapes is the distribution of batch sizes while that
segment ran. The result goes to `_batches.csv` (one row per segment and bucket).
"""

from __future__ import annotations

import csv
import dataclasses
import math
import pathlib
from collections.abc import Sequence

from modelplane.loadtest import errors
from prometheus_client import parser

BATCH_METRIC = "modelplane_batch_size"


@dataclasses.dataclass(frozen=True, slots=True)
class Histogram:
    """Cumulative bucket counts by upper bound (`inf` last), the observation count and their sum."""

    buckets: tuple[tuple[float, float], ...]
    count: float
    total: float

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else float("nan")

    def minus(self, earlier: Histogram) -> Histogram:
        """What was observed after `earlier` (same buckets; an earlier scrape of the same server)."""
        before = dict(earlier.buckets)
        return Histogram(
            buckets=tuple((le, count - before.get(le, 0.0)) for le, count in self.buckets),
            count=self.count - earlier.count,
            total=self.total - earlier.total,
        )

    def counts(self) -> list[tuple[float, float]]:
        """Non-cumulative counts per bucket: (upper bound, observations in (previous bound, bound])."""
        out = []
        previous = 0.0
        for le, cumulative in self.buckets:
            out.append((le, cumulative - previous))
            previous = cumulative
        return out


EMPTY = Histogram(buckets=(), count=0.0, total=0.0)


def histogram(text: str, *, name: str = BATCH_METRIC, model: str | None = None) -> Histogram:
    """The histogram `name` in a Prometheus text exposition, summed over label sets (only `model` when given)."""
    buckets: dict[float, float] = {}
    count = total = 0.0
    try:
        families = list(parser.text_string_to_metric_families(text))
    except ValueError as exc:
        raise errors.InvalidRun(f"the /metrics answer is not Prometheus text: {exc}") from exc
    for family in families:
        if family.name != name:
            continue
        for sample in family.samples:
            if model is not None and sample.labels.get("model", model) != model:
                continue
            if sample.name == f"{name}_bucket":
                le = float(sample.labels["le"])
                buckets[le] = buckets.get(le, 0.0) + sample.value
            elif sample.name == f"{name}_count":
                count += sample.value
            elif sample.name == f"{name}_sum":
                total += sample.value
    return Histogram(buckets=tuple(sorted(buckets.items())), count=count, total=total)


FIELDS = ["segment", "level", "batches", "mean_size", "le", "count"]


def write(path: pathlib.Path, rows: Sequence[tuple[int, float, Histogram]]) -> None:
    """One CSV row per (segment, bucket) with the segment's batch count and mean size repeated."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(FIELDS)
        for segment, level, hist in rows:
            for le, count in hist.counts():
                writer.writerow([segment, f"{level:.3f}", f"{hist.count:.0f}", f"{hist.mean:.3f}", le, f"{count:.0f}"])


@dataclasses.dataclass(frozen=True, slots=True)
class SegmentBatches:
    segment: int
    level: float
    batches: float
    mean_size: float
    counts: tuple[tuple[float, float], ...]


def read(path: pathlib.Path) -> list[SegmentBatches]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise errors.InvalidRun(f"cannot read {path}: {exc.strerror}") from exc
    grouped: dict[int, SegmentBatches] = {}
    for number, row in enumerate(rows, start=2):
        try:
            segment = int(row["segment"])
            found = grouped.get(segment)
            bucket = (float(row["le"]), float(row["count"]))
            if found is None:
                grouped[segment] = SegmentBatches(
                    segment=segment,
                    level=float(row["level"]),
                    batches=float(row["batches"]),
                    mean_size=float(row["mean_size"]),
                    counts=(bucket,),
                )
            else:
                grouped[segment] = dataclasses.replace(found, counts=(*found.counts, bucket))
        except (KeyError, TypeError, ValueError) as exc:
            raise errors.InvalidRun(f"{path} line {number} is not a batch-size row ({exc})") from exc
    return [grouped[key] for key in sorted(grouped)]


def by_level(rows: Sequence[SegmentBatches]) -> list[SegmentBatches]:
    """Segments of equal level merged: bucket counts and batch counts added, mean weighted by batches."""
    merged: dict[float, SegmentBatches] = {}
    for row in rows:
        found = merged.get(row.level)
        if found is None:
            merged[row.level] = row
            continue
        batches = found.batches + row.batches
        mean = (
            (
                (found.mean_size * found.batches if found.batches else 0.0)
                + (row.mean_size * row.batches if row.batches else 0.0)
            )
            / batches
            if batches
            else math.nan
        )
        counts = dict(found.counts)
        for le, count in row.counts:
            counts[le] = counts.get(le, 0.0) + count
        merged[row.level] = SegmentBatches(
            segment=found.segment,
            level=row.level,
            batches=batches,
            mean_size=mean,
            counts=tuple(sorted(counts.items())),
        )
    return [merged[level] for level in sorted(merged)]
