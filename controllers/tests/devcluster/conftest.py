"""Fixtures for the process node's and the local ingress's cluster tests: each test module gets its own namespace
(the process node and the local ingress themselves come from the root conftest.py)."""

from __future__ import annotations

import pathlib
import uuid
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="module")
def namespace(kube_cluster: pathlib.Path) -> Iterator[str]:
    """A fresh namespace, deleted (with everything in it) after the module."""
    from kubernetes import client, config

    api = client.CoreV1Api(config.new_client_from_config(config_file=str(kube_cluster)))
    name = f"devcluster-{uuid.uuid4().hex[:6]}"
    api.create_namespace({"metadata": {"name": name}})
    yield name
    api.delete_namespace(name)
