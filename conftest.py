"""Fixtures every test tier shares: the local control plane for tests marked `cluster`, and the process node and
the local ingress for the cluster tests that need pods to really run or routes to really answer."""

from __future__ import annotations

import os
import pathlib
import subprocess
from collections.abc import Iterator

import pytest

ROOT = pathlib.Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def kube_cluster() -> pathlib.Path:
    """Start the local control plane when it is down (idempotent) and return its kubeconfig path.

    The cluster is left running after the session so the next run starts in seconds; `make cluster-down` stops it.
    """
    subprocess.run([str(ROOT / "hack" / "cluster.sh"), "up"], check=True)
    path = subprocess.run(
        [str(ROOT / "hack" / "cluster.sh"), "kubeconfig"], check=True, capture_output=True, text=True
    ).stdout.strip()
    kubeconfig = pathlib.Path(path)
    if not kubeconfig.is_file():
        raise RuntimeError(f"the local cluster reported kubeconfig {path!r}, but no such file exists")
    os.environ["KUBECONFIG"] = str(kubeconfig)
    return kubeconfig


def _running(script: str) -> bool:
    return subprocess.run([str(ROOT / "hack" / script), "status"], capture_output=True, check=False).returncode == 0


@pytest.fixture(scope="module")
def process_node(kube_cluster: pathlib.Path) -> Iterator[pathlib.Path]:
    """The process node for this module: started when it is down, and then stopped again afterwards, so later
    cluster tests keep kwok's simulated pods. Returns its state folder."""
    started = not _running("local-node.sh")
    subprocess.run([str(ROOT / "hack" / "local-node.sh"), "up"], check=True)
    yield ROOT / ".cluster" / "local-node"
    if started:
        subprocess.run([str(ROOT / "hack" / "local-node.sh"), "down"], check=True)


@pytest.fixture(scope="module")
def local_ingress(kube_cluster: pathlib.Path) -> Iterator[str]:
    """The local ingress for this module (started when down, stopped afterwards); returns http://127.0.0.1:PORT."""
    started = not _running("local-ingress.sh")
    subprocess.run([str(ROOT / "hack" / "local-ingress.sh"), "up"], check=True)
    yield subprocess.run(
        [str(ROOT / "hack" / "local-ingress.sh"), "url"], check=True, capture_output=True, text=True
    ).stdout.strip()
    if started:
        subprocess.run([str(ROOT / "hack" / "local-ingress.sh"), "down"], check=True)
