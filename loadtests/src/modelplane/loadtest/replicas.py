"""Pods of an InferenceService over time, read with `kubectl` while a run is under way.

KServe labels every pod of an InferenceService with `serving.kserve.io/inferenceservice=<name>`; a pod counts as
ready when its `Ready` condition is True. `count` is the pure part (a `kubectl get pods -o json` document in,
counts out); `poll` runs kubectl once. A run samples every two seconds into `_replicas.csv`.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import pathlib
import subprocess
from collections.abc import Sequence
from typing import Any

from modelplane.loadtest import errors

LABEL = "serving.kserve.io/inferenceservice"
INTERVAL_S = 2.0


@dataclasses.dataclass(frozen=True, slots=True)
class Watch:
    kubeconfig: pathlib.Path
    isvc: str
    namespace: str = "default"


@dataclasses.dataclass(frozen=True, slots=True)
class Count:
    t_s: float
    ready: int
    total: int


def count(document: Any) -> tuple[int, int]:
    """(ready pods, pods not terminating) in a pod list."""
    items = document.get("items", []) if isinstance(document, dict) else []
    ready = total = 0
    for pod in items:
        if pod.get("metadata", {}).get("deletionTimestamp"):
            continue
        total += 1
        conditions = pod.get("status", {}).get("conditions") or []
        if any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions):
            ready += 1
    return ready, total


def poll(watch: Watch) -> tuple[int, int]:
    """Run kubectl once; raises `InvalidRun` with kubectl's message when it fails."""
    command = [
        "kubectl",
        "--kubeconfig",
        str(watch.kubeconfig),
        "get",
        "pods",
        "--namespace",
        watch.namespace,
        "--selector",
        f"{LABEL}={watch.isvc}",
        "--output",
        "json",
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise errors.InvalidRun(f"cannot run kubectl to count pods: {exc}; is kubectl on PATH (make tools)?") from exc
    if done.returncode != 0:
        raise errors.InvalidRun(f"kubectl get pods failed: {done.stderr.strip()}")
    return count(json.loads(done.stdout))


def write(path: pathlib.Path, rows: Sequence[Count]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["t_s", "ready", "total"])
        for row in rows:
            writer.writerow([f"{row.t_s:.1f}", row.ready, row.total])


def read(path: pathlib.Path) -> list[Count]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            return [
                Count(t_s=float(r["t_s"]), ready=int(r["ready"]), total=int(r["total"])) for r in csv.DictReader(handle)
            ]
    except OSError as exc:
        raise errors.InvalidRun(f"cannot read {path}: {exc.strerror}") from exc
    except (KeyError, ValueError) as exc:
        raise errors.InvalidRun(f"{path} is not a replica count file ({exc})") from exc
