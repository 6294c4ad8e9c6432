"""Smoke run of the GPU batching benchmark's machinery without a GPU or torch: `resnet_gpu.py --stand-in-ms` serves a
model that only sleeps, through real runtime servers (off and two adaptive settings) on 127.0.0.1, for a closed and
an open loop of V2 binary-data requests bounded to seconds; the results file has every row, batching merged
requests, nothing failed, and the plots are drawn. Without a GPU, a run of the real model is refused, saying why."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

SCRIPT = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "resnet_gpu.py"


def test_stand_in_run_measures_every_configuration(tmp_path: pathlib.Path) -> None:
    command = [sys.executable, str(SCRIPT), "--stand-in-ms", "2", "--size", "8", "--duration", "1",
               "--concurrency", "8", "--rates", "20", "--out", str(tmp_path)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((tmp_path / "resnet-gpu.json").read_text())
    closed = {row["config"]: row for row in results["closed"]}
    assert set(closed) == {"off", "adaptive 128 x 50 ms"}
    assert all(row["images_per_s"] > 0 and row["errors"] == 0 for row in closed.values())
    assert closed["off"]["mean_batch"] is None
    assert closed["adaptive 128 x 50 ms"]["mean_batch"] > 1.0  # 8 callers of a 2 ms model share calls
    offered = {row["config"]: row for row in results["open"]}
    assert set(offered) == {"off", "adaptive 32 x 10 ms", "adaptive 128 x 50 ms"}
    assert all(row["sent"] > 0 and not row["saturated"] for row in offered.values())

    plotted = subprocess.run(
        [sys.executable, str(SCRIPT), "--plot", str(tmp_path / "resnet-gpu.json"), "--img", str(tmp_path / "img")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert plotted.returncode == 0, plotted.stdout + plotted.stderr
    assert sorted(p.name for p in (tmp_path / "img").iterdir()) == [
        "batching-resnet-gpu-batch-mean.png",
        "batching-resnet-gpu-closed.png",
        "batching-resnet-gpu-p50.png",
        "batching-resnet-gpu-p99.png",
    ]


def test_without_a_gpu_the_model_run_is_refused_with_the_way_out(tmp_path: pathlib.Path) -> None:
    """With no GPU to use (here no torch either; on a GPU machine CUDA is hidden) a real run stops before doing
    anything, naming what is missing and the alternatives."""
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path / "out"), "--duration", "1"],
        capture_output=True, text=True, timeout=60, env={**os.environ, "CUDA_VISIBLE_DEVICES": ""},
    )  # fmt: skip
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "--stand-in-ms" in done.stderr
    assert not (tmp_path / "out").exists()
