"""Fixtures of the hook tests that need the local API server: a connected `Cluster` and a throwaway namespace."""

from __future__ import annotations

import pathlib
import uuid
from collections.abc import Iterator

import pytest
from kubernetes import client
from modelplane.hooks import connecting


@pytest.fixture
def cluster(kube_cluster: pathlib.Path) -> connecting.Cluster:
    return connecting.Cluster.connect(kubeconfig=str(kube_cluster))


@pytest.fixture
def namespace(cluster: connecting.Cluster) -> Iterator[str]:
    """A fresh namespace labelled with its own name, so a webhook can select exactly it."""
    name = f"hooks-{uuid.uuid4().hex[:8]}"
    core = client.CoreV1Api(cluster.api)
    core.create_namespace({"metadata": {"name": name, "labels": {"modelplane-hook-test": name}}})
    yield name
    core.delete_namespace(name)
