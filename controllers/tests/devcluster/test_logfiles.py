"""Covers devcluster.logfiles: choosing the pod folder, container and run, and the messages when the choice fails."""

from __future__ import annotations

import pathlib

import pytest
from modelplane.devcluster import errors, logfiles


def make(root: pathlib.Path, folder: str, container: str, runs: int) -> None:
    logs = root / "pods" / folder / "logs" / container
    logs.mkdir(parents=True)
    for run in range(runs):
        (logs / f"{run}.log").write_text(f"run {run}\n")


def test_current_and_previous_runs(tmp_path: pathlib.Path) -> None:
    make(tmp_path, "default_web_uid1", "c", 3)
    assert (
        logfiles.find(tmp_path, namespace="default", name="web", container=None, previous=False).read_text()
        == "run 2\n"
    )
    assert (
        logfiles.find(tmp_path, namespace="default", name="web", container="c", previous=True).read_text() == "run 1\n"
    )


def test_errors_say_what_exists(tmp_path: pathlib.Path) -> None:
    make(tmp_path, "default_web_uid1", "a", 1)
    make(tmp_path, "default_web_uid1", "b", 1)
    make(tmp_path, "default_web-2_uid2", "a", 1)
    with pytest.raises(errors.DevClusterError, match="several containers \\(a, b\\)"):
        logfiles.find(tmp_path, namespace="default", name="web", container=None, previous=False)
    with pytest.raises(errors.DevClusterError, match="it has a, b"):
        logfiles.find(tmp_path, namespace="default", name="web", container="z", previous=False)
    with pytest.raises(errors.DevClusterError, match="has not restarted"):
        logfiles.find(tmp_path, namespace="default", name="web", container="a", previous=True)
    with pytest.raises(errors.DevClusterError, match="no pod other/web"):
        logfiles.find(tmp_path, namespace="other", name="web", container=None, previous=False)
