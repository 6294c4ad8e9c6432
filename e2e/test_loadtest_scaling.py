"""Journey: a user measures how an endpoint scales with its replicas. `modelplane-loadtest scaling --kubeconfig`
deploys InferenceServices of 1 and 2 fixed replicas (with their own model store) into a namespace of its own, waits
until each has its ready pods, sends a bounded open-loop run through the cluster's ingress (seconds, a few dozen
requests, every one answered), writes the compared report with its plots, and removes its namespace."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import uuid

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_scaling_benchmark_runs_through_the_ingress(kubeconfig, ingress, journey, tmp_path: pathlib.Path) -> None:
    namespace = f"loadtest-e2e-{uuid.uuid4().hex[:6]}"
    env = {key: value for key, value in os.environ.items() if key != "LOCUST_SKIP_MONKEY_PATCH"}
    env["PATH"] = f"{ROOT / 'bin'}:{env.get('PATH', '')}"
    done = subprocess.run(
        [sys.executable, "-m", "modelplane.loadtest", "scaling", "--replicas", "1,2", "--kubeconfig", kubeconfig,
         "--ingress", ingress, "--namespace", namespace, "--out", str(tmp_path),
         "--levels", "20", "--step-s", "1", "--min-arrivals", "0", "--max-requests", "200"],
        capture_output=True, text=True, timeout=420, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "scaling-1: Ready with 1 pods" in done.stdout
    assert "scaling-2: Ready with 2 pods" in done.stdout
    report = (tmp_path / "scaling-sklearn-ingress.md").read_text()
    assert "## 1 replica (ingress)" in report
    assert "## 2 replicas (ingress)" in report
    for count in (1, 2):
        lines = (tmp_path / f"scaling-{count}_levels.csv").read_text().splitlines()
        header, *rows = [line.split(",") for line in lines]
        ok, failed = header.index("ok"), header.index("failed")
        assert sum(int(row[ok]) for row in rows) == 20
        assert all(int(row[failed]) == 0 for row in rows)
    assert (tmp_path / "scaling-sklearn-ingress_p50.png").stat().st_size > 1000
    gone = journey.wait(
        "the benchmark's namespace to go",
        lambda: (
            journey.kubectl("get", "namespace", namespace, "--ignore-not-found", "-o", "name").strip() == ""
            or "Terminating" in journey.kubectl("get", "namespace", namespace, "--ignore-not-found")
        ),
    )
    assert gone
