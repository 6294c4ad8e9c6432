"""Covers benchmarks: parsing batcher configurations, replica counts and CPU pinning, and a seconds-long smoke run
of each benchmark against real servers on 127.0.0.1 (batching: off and adaptive on the runtime; scaling: two
runtime replicas behind nginx, pinned away from the generator), down to the compared report with its plots."""

from __future__ import annotations

import pathlib

import pytest
from modelplane.loadtest import benchmarks, errors, results

from .conftest import loadtest

SMOKE = ["--levels", "20", "--step-s", "1", "--min-arrivals", "0", "--max-requests", "200"]


def test_configs_parse_into_labels() -> None:
    configs = benchmarks.parse_configs("off, adaptive:32:50,fixed:8:5 ,mlserver-off")
    assert [c.label for c in configs] == ["off", "adaptive 32 x 50 ms", "fixed 8 x 5 ms", "mlserver-off"]
    assert [c.slug for c in configs] == ["off", "adaptive-32-50ms", "fixed-8-5ms", "mlserver-off"]


@pytest.mark.parametrize("text", ["", "fast", "fixed:8", "adaptive:0:5", "fixed:8:-1", "adaptive:x:5"])
def test_bad_configs_are_named(text: str) -> None:
    with pytest.raises(errors.InvalidRun, match="must be off, mlserver-off, adaptive:SIZE:MS or fixed:SIZE:MS"):
        benchmarks.parse_configs(text)


def test_replica_counts() -> None:
    assert benchmarks.parse_replicas("1,2,4") == [1, 2, 4]
    for text in ("0,1", "two", ""):
        with pytest.raises(errors.InvalidRun, match="replica counts"):
            benchmarks.parse_replicas(text)


def test_pin_splits_servers_and_generator() -> None:
    pin = benchmarks.parse_pin("0:1")
    assert (pin.servers, pin.generator) == ("0", frozenset({1}))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("0", "must be SERVERS:GENERATOR", id="one-side"),
        pytest.param("a:1", "must be SERVERS:GENERATOR", id="not-a-cpu"),
        pytest.param("0:0", "must not overlap", id="overlap"),
        pytest.param("0:4096", "cannot use", id="absent-cpu"),
    ],
)
def test_bad_pins_are_named(text: str, message: str) -> None:
    with pytest.raises(errors.InvalidRun, match=message):
        benchmarks.parse_pin(text)


@pytest.mark.parametrize("model", ["sklearn", "onnx"])
def test_batching_smoke_compares_off_and_adaptive(tmp_path: pathlib.Path, model: str) -> None:
    done = loadtest(
        "batching", "--model", model, "--configs", "off,adaptive:8:20", "--out", str(tmp_path), *SMOKE, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = (tmp_path / f"batching-{model}.md").read_text()
    assert "## off" in report
    assert "## adaptive 8 x 20 ms" in report
    for plot in ("p50", "p99", "throughput", "batch_mean"):
        assert (tmp_path / f"batching-{model}_{plot}.png").stat().st_size > 1000
    for config in ("off", "adaptive-8-20ms"):
        rows = results.read(tmp_path / f"{model}-{config}_levels.csv")
        assert [row.level for row in rows] == [20.0]
        assert all(row.ok > 0 and row.failed == 0 for row in rows)


def test_fixed_configurations_need_mlserver(tmp_path: pathlib.Path) -> None:
    done = loadtest(
        "batching", "--configs", "fixed:8:5", "--peers-venv", str(tmp_path / "none"), "--out", str(tmp_path), *SMOKE
    )
    assert done.returncode == 2
    assert "make loadtest-peers" in done.stderr


def test_scaling_smoke_runs_replicas_behind_nginx(tmp_path: pathlib.Path) -> None:
    done = loadtest("scaling", "--replicas", "2", "--pin", "0:1", "--out", str(tmp_path), *SMOKE, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    report = (tmp_path / "scaling-sklearn.md").read_text()
    assert "## 2 replicas" in report
    two = results.read(tmp_path / "scaling-2_levels.csv")
    assert sum(row.ok for row in two) == 20
    assert "upstream replicas" in (tmp_path / "scaling-2-nginx.conf").read_text()
