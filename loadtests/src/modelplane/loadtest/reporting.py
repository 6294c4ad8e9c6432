"""Reports: a finished run (or several, compared) as Markdown with PNG plots, so a reader looks, not reads.

`load(prefix)` reads a run's files back; `single(run, ...)` writes latency and throughput against offered load,
the run over time, the batch-size distribution and, when the run watched a cluster, ready pods over time.
`compare(runs, ...)` puts several runs (the configurations of a benchmark) on the same axes. Plots use
matplotlib's object API with the Agg canvas, so no display and no global pyplot state are involved.
"""

from __future__ import annotations

import dataclasses
import math
import pathlib
from collections.abc import Sequence
from typing import Any

from matplotlib.figure import Figure
from modelplane.loadtest import errors, metrics, replicas, results


@dataclasses.dataclass(frozen=True, slots=True)
class RunData:
    prefix: pathlib.Path
    settings: dict[str, Any]
    levels: list[results.Summary]
    segments: list[results.Summary]
    batches: list[metrics.SegmentBatches]
    pods: list[replicas.Count]

    @property
    def label(self) -> str:
        return str(self.settings.get("label") or self.prefix.name)

    @property
    def unit(self) -> str:
        return "req/s" if self.settings.get("pacing") == "open" else "users"

    def batch_mean_by_level(self) -> dict[float, float]:
        return {row.level: row.mean_size for row in metrics.by_level(self.batches) if row.batches > 0}


def load(prefix: pathlib.Path) -> RunData:
    """A run's result files, by the prefix it was run with."""
    settings = results.read_run(pathlib.Path(f"{prefix}_run.json"))
    batches_path = pathlib.Path(f"{prefix}_batches.csv")
    pods_path = pathlib.Path(f"{prefix}_replicas.csv")
    return RunData(
        prefix=prefix,
        settings=settings,
        levels=results.read(pathlib.Path(f"{prefix}_levels.csv")),
        segments=results.read(pathlib.Path(f"{prefix}_segments.csv")),
        batches=metrics.read(batches_path) if batches_path.is_file() else [],
        pods=replicas.read(pods_path) if pods_path.is_file() else [],
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table; floats get three significant decimals at most."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def level_rows(run: RunData) -> list[list[Any]]:
    means = run.batch_mean_by_level()
    return [
        [
            row.level,
            row.sent,
            row.ok,
            row.failed,
            row.throughput_rps,
            row.p50_ms,
            row.p95_ms,
            row.p99_ms,
            row.late,
            means.get(row.level, math.nan),
        ]
        for row in run.levels
    ]


LEVEL_HEADERS = [
    "offered",
    "sent",
    "ok",
    "failed",
    "throughput (req/s)",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "late",
    "mean batch",
]


def single(run: RunData, *, out_dir: pathlib.Path, name: str, title: str = "") -> pathlib.Path:
    """Write `<name>.md` and its `<name>_*.png` plots into `out_dir`; returns the Markdown path."""
    _require_dir(out_dir)
    settings = run.settings
    parts = [
        f"# {title or 'Load test: ' + run.label}",
        "",
        table(
            ["target", "model", "protocol", "shape", "pacing", "users", "bounds", "stopped by", "requests"],
            [
                [
                    settings.get("target"),
                    settings.get("model"),
                    settings.get("protocol"),
                    settings.get("shape"),
                    settings.get("pacing"),
                    settings.get("users"),
                    f"{settings.get('max_requests')} requests / {settings.get('max_run_time_s')} s",
                    settings.get("stopped"),
                    settings.get("requests"),
                ]
            ],
        ),
        "",
        f"## Latency and throughput by offered load ({run.unit})",
        "",
        table(LEVEL_HEADERS, level_rows(run)),
        "",
    ]
    _latency_plot([run], out_dir / f"{name}_latency.png", percentiles=("p50_ms", "p95_ms", "p99_ms"))
    _throughput_plot([run], out_dir / f"{name}_throughput.png")
    parts += [f"![latency]({name}_latency.png) ![throughput]({name}_throughput.png)", ""]
    _timeline_plot(run, out_dir / f"{name}_timeline.png")
    parts += ["## Over time", "", f"![timeline]({name}_timeline.png)", ""]
    if run.batches:
        _batch_plot(run, out_dir / f"{name}_batches.png")
        parts += ["## Batch sizes (from the runtime's /metrics)", "", f"![batch sizes]({name}_batches.png)", ""]
    elif settings.get("metrics_note"):
        parts += ["## Batch sizes", "", str(settings["metrics_note"]), ""]
    if run.pods:
        _pods_plot(run, out_dir / f"{name}_replicas.png")
        parts += ["## Ready pods", "", f"![ready pods]({name}_replicas.png)", ""]
    path = out_dir / f"{name}.md"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def compare(runs: Sequence[RunData], *, out_dir: pathlib.Path, name: str, title: str = "") -> pathlib.Path:
    """Several runs on the same axes (p50 and p99, throughput, mean batch size), plus one table per run."""
    _require_dir(out_dir)
    if not runs:
        raise errors.InvalidRun("a comparison needs at least one run")
    parts = [f"# {title or 'Load test comparison'}", ""]
    _latency_plot(runs, out_dir / f"{name}_p50.png", percentiles=("p50_ms",))
    _latency_plot(runs, out_dir / f"{name}_p99.png", percentiles=("p99_ms",))
    _throughput_plot(runs, out_dir / f"{name}_throughput.png")
    parts += [f"![p50]({name}_p50.png) ![p99]({name}_p99.png)", "", f"![throughput]({name}_throughput.png)", ""]
    if any(run.batches for run in runs):
        _batch_mean_plot(runs, out_dir / f"{name}_batch_mean.png")
        parts += [f"![mean batch size]({name}_batch_mean.png)", ""]
    for run in runs:
        parts += [
            f"## {run.label}",
            "",
            f"stopped by: {run.settings.get('stopped')}",
            "",
            table(LEVEL_HEADERS, level_rows(run)),
            "",
        ]
    path = out_dir / f"{name}.md"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def _require_dir(out_dir: pathlib.Path) -> None:
    if not out_dir.is_dir():
        raise errors.InvalidRun(f"the report folder {out_dir} does not exist; create it first")


def _cell(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return "-" if value is None else str(value)


def _figure() -> tuple[Figure, Any]:
    figure = Figure(figsize=(6.4, 4.0), dpi=100, layout="constrained")
    return figure, figure.add_subplot()


def _latency_plot(runs: Sequence[RunData], path: pathlib.Path, *, percentiles: Sequence[str]) -> None:
    figure, axes = _figure()
    for run in runs:
        for key in percentiles:
            points = [(row.level, getattr(row, key)) for row in run.levels if row.ok]
            label = key.removesuffix("_ms") if len(runs) == 1 else f"{run.label} {key.removesuffix('_ms')}"
            axes.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=label)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel(f"offered load ({runs[0].unit})")
    axes.set_ylabel("latency (ms)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize="small")
    figure.savefig(path)


def _throughput_plot(runs: Sequence[RunData], path: pathlib.Path) -> None:
    figure, axes = _figure()
    highest = 0.0
    for run in runs:
        axes.plot([r.level for r in run.levels], [r.throughput_rps for r in run.levels], marker="o", label=run.label)
        highest = max([highest, *(r.level for r in run.levels)])
    if runs[0].unit == "req/s" and highest:
        axes.plot([0, highest], [0, highest], linestyle=":", color="grey", label="offered")
    axes.set_xlabel(f"offered load ({runs[0].unit})")
    axes.set_ylabel("answered (req/s)")
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize="small")
    figure.savefig(path)


def _timeline_plot(run: RunData, path: pathlib.Path) -> None:
    figure, axes = _figure()
    # A step plot draws each value from its start to the next start: repeat the last one at the run's end.
    times = [row.start_s for row in run.segments] + [run.segments[-1].start_s + run.segments[-1].duration_s]
    offered = [row.level for row in run.segments]
    answered = [row.throughput_rps for row in run.segments]
    axes.step(times, [*offered, offered[-1]], where="post", linestyle="--", label=f"offered ({run.unit})")
    axes.step(times, [*answered, answered[-1]], where="post", label="answered (req/s)")
    axes.set_xlabel("time (s)")
    axes.set_ylabel("load")
    latency = axes.twinx()
    latency.plot(
        [row.start_s + row.duration_s / 2 for row in run.segments],
        [row.p99_ms for row in run.segments],
        color="tab:red",
        marker=".",
        label="p99 ms",
    )
    latency.set_ylabel("p99 latency (ms)")
    handles = axes.get_legend_handles_labels()
    more = latency.get_legend_handles_labels()
    axes.legend(handles[0] + more[0], handles[1] + more[1], fontsize="small", loc="upper left")
    axes.grid(True, alpha=0.3)
    figure.savefig(path)


def _batch_plot(run: RunData, path: pathlib.Path) -> None:
    figure, axes = _figure()
    levels = [row for row in metrics.by_level(run.batches) if row.batches > 0]
    bounds = sorted({le for row in levels for le, count in row.counts if count > 0})
    bottoms = [0.0] * len(levels)
    names = [f"{row.level:g}" for row in levels]
    for le in bounds:
        shares = [dict(row.counts).get(le, 0.0) / row.batches for row in levels]
        axes.bar(names, shares, bottom=bottoms, label=f"≤ {le:g}" if math.isfinite(le) else "> last")
        bottoms = [b + s for b, s in zip(bottoms, shares, strict=True)]
    axes.set_xlabel(f"offered load ({run.unit})")
    axes.set_ylabel("share of batches")
    axes.legend(title="batch size", fontsize="x-small", ncols=2)
    figure.savefig(path)


def _batch_mean_plot(runs: Sequence[RunData], path: pathlib.Path) -> None:
    figure, axes = _figure()
    for run in runs:
        means = run.batch_mean_by_level()
        if means:
            axes.plot(list(means), list(means.values()), marker="o", label=run.label)
    axes.set_xscale("log")
    axes.set_xlabel(f"offered load ({runs[0].unit})")
    axes.set_ylabel("mean batch size (requests)")
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize="small")
    figure.savefig(path)


def _pods_plot(run: RunData, path: pathlib.Path) -> None:
    figure, axes = _figure()
    axes.step([p.t_s for p in run.pods], [p.ready for p in run.pods], where="post", label="ready pods")
    axes.step([p.t_s for p in run.pods], [p.total for p in run.pods], where="post", linestyle="--", label="pods")
    axes.set_xlabel("time (s)")
    axes.set_ylabel("pods")
    axes.legend(fontsize="small")
    figure.savefig(path)
