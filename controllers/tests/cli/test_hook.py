"""Tests for `modelplane hook`: every step is listed, and a missing cluster or a bad argument ends with one line
and a non-zero status, never a traceback (the steps themselves are covered in tests/hooks/ against the cluster)."""

from __future__ import annotations

import pathlib

import pytest
from modelplane.cli import __main__ as cli


def test_every_step_is_registered(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["hook", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for step in ("check-crds", "apply-crds", "certs", "webhook-ready", "test-isvc", "apply-manifests"):
        assert step in out


def test_no_cluster_is_one_line(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "kubeconfig"
    status = cli.main(["hook", "--kubeconfig", str(missing), "check-crds", "--dir", str(tmp_path)])
    assert status == 1
    err = capsys.readouterr().err
    assert err.startswith("modelplane hook: no cluster credentials")
    assert err.count("\n") == 1


def test_a_missing_argument_is_an_argparse_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["hook", "certs", "--namespace", "x"])
    assert exit_info.value.code == 2
    assert "--secret" in capsys.readouterr().err
