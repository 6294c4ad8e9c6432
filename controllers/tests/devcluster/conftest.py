"""Fixtures for the process node's and the local ingress's cluster tests: both are started by their hack/ scripts
when down (and stopped again after the module, so other cluster tests keep kwok's simulated pods), and each test
module gets its own namespace."""

from __future__ import annotations

import pathlib
import subprocess
import uuid
from collections.abc import Iterator

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
NODE_STATE = ROOT / ".cluster" / "local-node"


def _running(script: str) -> bool:
    return subprocess.run([str(ROOT / "hack" / script), "status"], check=False).returncode == 0


@pytest.fixture(scope="module")
def process_node(kube_cluster: pathlib.Path) -> Iterator[pathlib.Path]:
    """The process node for this module: started when it is down, and then stopped again afterwards, so later
    cluster tests keep kwok's simulated pods. Returns its state folder."""
    started = not _running("local-node.sh")
    subprocess.run([str(ROOT / "hack" / "local-node.sh"), "up"], check=True)
    yield NODE_STATE
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


@pytest.fixture(scope="module")
def namespace(kube_cluster: pathlib.Path) -> Iterator[str]:
    """A fresh namespace, deleted (with everything in it) after the module."""
    from kubernetes import client, config

    api = client.CoreV1Api(config.new_client_from_config(config_file=str(kube_cluster)))
    name = f"devcluster-{uuid.uuid4().hex[:6]}"
    api.create_namespace({"metadata": {"name": name}})
    yield name
    api.delete_namespace(name)
