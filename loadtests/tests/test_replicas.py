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


POD = """
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: default
  labels:
    serving.kserve.io/inferenceservice: {isvc}
spec:
  containers:
    - name: kserve-container
      image: modelplane/runtime:0.1.0
"""


@pytest.mark.cluster
def test_poll_counts_the_ready_pods_of_an_inferenceservice(kube_cluster: pathlib.Path) -> None:
    import subprocess
    import time
    import uuid

    isvc = f"lt-{uuid.uuid4().hex[:8]}"
    manifest = POD.format(name=f"{isvc}-predictor", isvc=isvc)
    subprocess.run(
        ["kubectl", "--kubeconfig", str(kube_cluster), "apply", "-f", "-"],
        input=manifest,
        text=True,
        check=True,
        capture_output=True,
    )
    try:
        watch = replicas.Watch(kubeconfig=kube_cluster, isvc=isvc)
        deadline = time.monotonic() + 60
        counted = replicas.poll(watch)
        while counted != (1, 1) and time.monotonic() < deadline:
            time.sleep(1)
            counted = replicas.poll(watch)
        assert counted == (1, 1)
        assert replicas.poll(replicas.Watch(kubeconfig=kube_cluster, isvc=f"{isvc}-other")) == (0, 0)
    finally:
        subprocess.run(
            [
                "kubectl",
                "--kubeconfig",
                str(kube_cluster),
                "delete",
                "pod",
                f"{isvc}-predictor",
                "--namespace",
                "default",
                "--wait=false",
            ],
            check=False,
            capture_output=True,
        )
