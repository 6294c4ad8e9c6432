"""Covers replicas: counting ready pods in a pod list, and the replica CSV round trip."""

from __future__ import annotations

import pathlib

import pytest
from modelplane.loadtest import errors, replicas


def _pod(*, ready: bool, deleting: bool = False) -> dict[str, object]:
    metadata: dict[str, object] = {"name": "p"}
    if deleting:
        metadata["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {
        "metadata": metadata,
        "status": {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}]},
    }


def test_count_ready_pods_and_skip_terminating_ones() -> None:
    document = {"items": [_pod(ready=True), _pod(ready=False), _pod(ready=True, deleting=True), {"metadata": {}}]}
    assert replicas.count(document) == (1, 3)
    assert replicas.count({}) == (0, 0)


def test_counts_round_trip(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "x_replicas.csv"
    rows = [replicas.Count(t_s=0.0, ready=1, total=1), replicas.Count(t_s=2.0, ready=2, total=4)]
    replicas.write(path, rows)
    assert replicas.read(path) == rows
    path.write_text("x\n1\n")
    with pytest.raises(errors.InvalidRun, match="not a replica count file"):
        replicas.read(path)


def test_poll_reports_kubectl_failures(tmp_path: pathlib.Path) -> None:
    watch = replicas.Watch(kubeconfig=tmp_path / "missing-kubeconfig", isvc="m")
    with pytest.raises(errors.InvalidRun, match="kubectl"):
        replicas.poll(watch)
