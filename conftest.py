"""Fixtures every test tier shares: the local control plane for tests marked `cluster`."""

from __future__ import annotations

import os
import pathlib
import subprocess

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
