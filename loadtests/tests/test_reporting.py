"""Covers reporting: loading a run's files, the single-run report and the comparison, tables and plots."""

from __future__ import annotations

import pathlib

import pytest
from modelplane.loadtest import errors, metrics, profiles, replicas, reporting, results

PNG = b"\x89PNG"


def _write_run(tmp_path: pathlib.Path, name: str, *, slow_ms: float, with_extras: bool) -> pathlib.Path:
    prefix = tmp_path / name
    profile = profiles.step(levels=[1, 10, 100], step_s=2)
    samples = [
        results.Sample(segment=s.index, latency_ms=slow_ms * (1 + s.index), lateness_ms=0.0, ok=True)
        for s in profile.segments
        for _ in range(int(s.level * 2))
    ]
    results.write(
        pathlib.Path(f"{prefix}_segments.csv"), results.by_segment(samples=samples, segments=profile.segments, ran_s=6)
    )
    results.write(
        pathlib.Path(f"{prefix}_levels.csv"), results.by_level(samples=samples, segments=profile.segments, ran_s=6)
    )
    results.write_run(pathlib.Path(f"{prefix}_run.json"), {"label": name, "pacing": "open", "stopped": "profile done"})
    if with_extras:
        hist = metrics.Histogram(buckets=((1.0, 3.0), (2.0, 5.0), (float("inf"), 5.0)), count=5.0, total=7.0)
        metrics.write(pathlib.Path(f"{prefix}_batches.csv"), [(s.index, s.level, hist) for s in profile.segments])
        replicas.write(
            pathlib.Path(f"{prefix}_replicas.csv"),
            [replicas.Count(t_s=0, ready=1, total=1), replicas.Count(t_s=2, ready=2, total=2)],
        )
    return prefix


def test_single_report_has_table_and_plots(tmp_path: pathlib.Path) -> None:
    run = reporting.load(_write_run(tmp_path, "adaptive", slow_ms=2.0, with_extras=True))
    out = tmp_path / "report"
    out.mkdir()
    path = reporting.single(run, out_dir=out, name="r")
    text = path.read_text()
    assert "| offered | sent |" in text
    assert "| 100 | 200 | 200 | 0 | 100 |" in text
    assert run.batch_mean_by_level() == {1.0: pytest.approx(1.4), 10.0: pytest.approx(1.4), 100.0: pytest.approx(1.4)}
    for plot in ("r_latency.png", "r_throughput.png", "r_timeline.png", "r_batches.png", "r_replicas.png"):
        assert f"({plot})" in text
        assert (out / plot).read_bytes().startswith(PNG)


def test_single_report_without_metrics_says_why(tmp_path: pathlib.Path) -> None:
    prefix = _write_run(tmp_path, "plain", slow_ms=1.0, with_extras=False)
    results.write_run(pathlib.Path(f"{prefix}_run.json"), {"label": "plain", "metrics_note": "no batch sizes: 404"})
    path = reporting.single(reporting.load(prefix), out_dir=tmp_path, name="plain-report")
    assert "no batch sizes: 404" in path.read_text()
    assert not (tmp_path / "plain-report_batches.png").exists()


def test_comparison_puts_runs_on_the_same_axes(tmp_path: pathlib.Path) -> None:
    runs = [
        reporting.load(_write_run(tmp_path, "fixed", slow_ms=50.0, with_extras=True)),
        reporting.load(_write_run(tmp_path, "adaptive", slow_ms=2.0, with_extras=False)),
    ]
    path = reporting.compare(runs, out_dir=tmp_path, name="cmp", title="Batching")
    text = path.read_text()
    assert text.startswith("# Batching")
    assert "## fixed" in text
    assert "## adaptive" in text
    for plot in ("cmp_p50.png", "cmp_p99.png", "cmp_throughput.png", "cmp_batch_mean.png"):
        assert (tmp_path / plot).read_bytes().startswith(PNG)


def test_table_formats_numbers() -> None:
    assert reporting.table(["a", "b"], [[1.23456, float("nan")], [1234.5, None]]) == (
        "| a | b |\n| --- | --- |\n| 1.23 | - |\n| 1234 | - |"
    )


def test_missing_run_or_folder_is_a_clear_error(tmp_path: pathlib.Path) -> None:
    with pytest.raises(errors.InvalidRun, match="finished run"):
        reporting.load(tmp_path / "nothing")
    run = reporting.load(_write_run(tmp_path, "x", slow_ms=1.0, with_extras=False))
    with pytest.raises(errors.InvalidRun, match="does not exist"):
        reporting.single(run, out_dir=tmp_path / "nope", name="r")
