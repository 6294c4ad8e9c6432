"""Covers running, end to end through `modelplane-loadtest run` against a real runtime on 127.0.0.1: each shape (step,
spike, ramp, diurnal), V1 and V2, open- and closed-loop pacing, the request and time bounds, the files a run writes
(locust's CSVs, segments, levels, batch sizes from /metrics) and the report made from them, and the open-loop
promise: the offered rate holds while the server falls behind, where a closed-loop user slows down with it."""

from __future__ import annotations

import csv
import pathlib

import pytest
from modelplane.loadtest import results

from .conftest import loadtest

V1 = '{"instances": [[6.8, 2.8, 4.8, 1.4]]}'
V2 = '{"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP64", "data": [6.8, 2.8, 4.8, 1.4]}]}'


def _run(url: str, prefix: pathlib.Path, *args: str, model: str = "iris") -> dict[str, object]:
    done = loadtest("run", "--url", url, "--model", model, "--out", str(prefix), *args)
    assert done.returncode == 0, done.stderr[-2000:]
    return results.read_run(pathlib.Path(f"{prefix}_run.json"))


def test_step_open_loop_v1_offers_each_level_and_reads_batch_sizes(runtime: str, tmp_path: pathlib.Path) -> None:
    prefix = tmp_path / "step"
    settings = _run(runtime, prefix, "--payload", V1, "--shape", "step", "--levels", "5,40", "--step-s", "1")
    assert settings["stopped"] == "profile done"
    levels = results.read(pathlib.Path(f"{prefix}_levels.csv"))
    assert [(row.level, row.sent, row.failed) for row in levels] == [(5.0, 5, 0), (40.0, 40, 0)]
    assert all(row.p99_ms > 0 for row in levels)
    with pathlib.Path(f"{prefix}_batches.csv").open() as handle:
        batches = list(csv.DictReader(handle))
    assert {row["segment"] for row in batches} == {"0", "1"}
    assert sum(float(row["count"]) for row in batches) >= 45
    with pathlib.Path(f"{prefix}_stats.csv").open() as handle:
        stats = {row["Name"]: row for row in csv.DictReader(handle)}
    assert int(stats["v1 iris"]["Request Count"]) == 45

    # The run's own files through the command `make loadtest-report` calls.
    report_dir = tmp_path / "report"
    done = loadtest("report", "--run", str(prefix), "--out", str(report_dir), "--name", "step")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == f"report: {report_dir / 'step.md'}"
    text = (report_dir / "step.md").read_text()
    assert "| 5 | 5 | 5 | 0 |" in text
    assert "| 40 | 40 | 40 | 0 |" in text
    for plot in ("step_latency.png", "step_throughput.png", "step_timeline.png", "step_batches.png"):
        assert f"({plot})" in text
        assert (report_dir / plot).read_bytes().startswith(b"\x89PNG")


def test_spike_closed_loop_v2_follows_the_user_count(runtime: str, tmp_path: pathlib.Path) -> None:
    prefix = tmp_path / "spike"
    args = ["--protocol", "v2", "--payload", V2, "--pacing", "closed", "--shape", "spike", "--base", "1"]
    settings = _run(runtime, prefix, *args, "--peak", "4", "--before-s", "1", "--spike-s", "1", "--after-s", "1")
    assert settings["pacing"] == "closed"
    segments = results.read(pathlib.Path(f"{prefix}_segments.csv"))
    assert [row.level for row in segments] == [1.0, 4.0, 1.0]
    assert all(row.ok > 0 and row.failed == 0 for row in segments)


@pytest.mark.parametrize(
    ("shape", "args", "levels"),
    [
        pytest.param("ramp", ["--start", "5", "--end", "20", "--duration-s", "2", "--tick-s", "0.5"], 4, id="ramp"),
        pytest.param("diurnal", ["--low", "2", "--high", "20", "--period-s", "2", "--tick-s", "0.5"], 4, id="diurnal"),
    ],
)
def test_ramp_and_diurnal_run_their_segments(
    runtime: str, tmp_path: pathlib.Path, shape: str, args: list[str], levels: int
) -> None:
    prefix = tmp_path / shape
    _run(runtime, prefix, "--protocol", "v2", "--payload", V2, "--shape", shape, *args)
    segments = results.read(pathlib.Path(f"{prefix}_segments.csv"))
    assert len(segments) == levels
    assert all(row.failed == 0 for row in segments)
    assert sum(row.sent for row in segments) == sum(round(row.level * row.duration_s + 0.499) for row in segments)


def test_the_request_bound_ends_a_run(runtime: str, tmp_path: pathlib.Path) -> None:
    prefix = tmp_path / "bounded"
    settings = _run(runtime, prefix, "--payload", V1, "--levels", "100", "--step-s", "20", "--max-requests", "30")
    assert settings["stopped"] == "request bound (30)"
    assert settings["requests"] == 30
    assert float(str(settings["ran_s"])) < 5


def test_the_time_bound_ends_a_run(runtime: str, tmp_path: pathlib.Path) -> None:
    prefix = tmp_path / "timed"
    settings = _run(runtime, prefix, "--payload", V1, "--levels", "5", "--step-s", "30", "--max-run-time", "2")
    assert settings["stopped"] == "time bound (2 s)"
    assert 5 <= int(str(settings["requests"])) <= 12


def test_open_loop_keeps_offering_while_the_server_falls_behind(slow_runtime: str, tmp_path: pathlib.Path) -> None:
    common = ["--payload", V1, "--levels", "40", "--step-s", "2", "--timeout", "10", "--no-metrics"]
    _run(slow_runtime, tmp_path / "open", *common, model="slow")
    (offered,) = results.read(pathlib.Path(f"{tmp_path / 'open'}_levels.csv"))
    assert offered.sent == 80
    assert offered.late <= 4
    assert offered.p99_ms > 500
    # Four closed-loop users wait for each answer: they can never send more than the server answers.
    _run(slow_runtime, tmp_path / "closed", *common, "--pacing", "closed", "--levels", "4", model="slow")
    (closed,) = results.read(pathlib.Path(f"{tmp_path / 'closed'}_levels.csv"))
    assert closed.sent <= 2 * 25 + 4
    assert closed.p50_ms < 300


def test_a_remote_target_is_refused_before_any_request(tmp_path: pathlib.Path) -> None:
    done = loadtest(
        "run", "--url", "http://10.0.0.1:8080", "--model", "m", "--payload", V1, "--out", str(tmp_path / "x")
    )
    assert done.returncode == 2
    assert "--allow-remote" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_bad_payload_is_one_clear_line(tmp_path: pathlib.Path) -> None:
    done = loadtest(
        "run", "--url", "http://127.0.0.1:9", "--model", "m", "--payload", '{"x": 1}', "--out", str(tmp_path / "x")
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        'modelplane-loadtest: error: --payload is not a V1 request: it needs a non-empty "instances" list, '
        'e.g. {"instances": [[1, 2]]}'
    ]
