"""Fixtures for the process node's and the local ingress's cluster tests: both are started (idempotently, and
left running like the control plane) by their hack/ scripts, and each test module gets its own namespace."""

from __future__ import annotations

import pathlib
import subprocess
import uuid
from collections.abc import Iterator

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
NODE_STATE = ROOT / ".cluster" / "local-node"


@pytest.fixture(scope="session")
def process_node(kube_cluster: pathlib.Path) -> pathlib.Path:
    """Start the process node when it is down; returns its state folder."""
    subprocess.run([str(ROOT / "hack" / "local-node.sh"), "up"], check=True)
    return NODE_STATE


@pytest.fixture(scope="session")
def local_ingress(kube_cluster: pathlib.Path) -> str:
    """Start the local ingress when it is down; returns its address (http://127.0.0.1:PORT)."""
    subprocess.run([str(ROOT / "hack" / "local-ingress.sh"), "up"], check=True)
    return subprocess.run(
        [str(ROOT / "hack" / "local-ingress.sh"), "url"], check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture(scope="module")
def namespace(kube_cluster: pathlib.Path) -> Iterator[str]:
    """A fresh namespace, deleted (with everything in it) after the module."""
    from kubernetes import client, config

    api = client.CoreV1Api(config.new_client_from_config(config_file=str(kube_cluster)))
    name = f"devcluster-{uuid.uuid4().hex[:6]}"
    api.create_namespace({"metadata": {"name": name}})
    yield name
    api.delete_namespace(name)
