"""Tests for `modelplane dev-demo` (modelplane.cli.devdemo); the walk-through itself runs in e2e/test_examples.py.

Covers: a missing kubeconfig, example or model-store file is refused in one line that names it, before anything
is sent to a cluster.
"""

from __future__ import annotations

import pathlib

import pytest
from modelplane.cli import __main__ as cli


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        pytest.param([], "no kubeconfig at", id="no-kubeconfig"),
        pytest.param(["--example", "/nonexistent/isvc.yaml"], "--example /nonexistent/isvc.yaml", id="no-example"),
        pytest.param(["--store", "/nonexistent/store.yaml"], "--store /nonexistent/store.yaml", id="no-store"),
    ],
)
def test_missing_files_are_refused(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    status = cli.main(["dev-demo", "--kubeconfig", str(tmp_path / "kubeconfig"), *flags])
    assert status == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
