"""Tests for `modelplane dev-node` (modelplane.cli.devnode).

Covers: `logs` prints the current and the previous run and explains a missing pod in one line; `run` refuses a
bad pod address pool and a bad image rule before touching the cluster.
"""

from __future__ import annotations

import pathlib

import pytest
from modelplane.cli import __main__ as cli


def test_logs_prints_current_and_previous_runs(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    logs = tmp_path / "pods" / "models_iris_uid" / "logs" / "kserve-container"
    logs.mkdir(parents=True)
    (logs / "0.log").write_text("first run\n")
    (logs / "1.log").write_text("second run\n")
    assert cli.main(["dev-node", "logs", "iris", "-n", "models", "--state-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out == "second run\n"
    assert cli.main(["dev-node", "logs", "iris", "-n", "models", "-p", "--state-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out == "first run\n"


def test_logs_of_an_unknown_pod_is_one_line_saying_why(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["dev-node", "logs", "nope", "--state-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("modelplane dev-node: no pod default/nope has run on the process node")
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        pytest.param(["--pod-cidr", "8.8.8.0/24"], "not a private or reserved range", id="public-pool"),
        pytest.param(["--image", "no-equals-sign"], "PREFIX=ENTRYPOINT", id="bad-image-rule"),
    ],
)
def test_run_refuses_bad_settings(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    status = cli.main(["dev-node", "run", "--kubeconfig", str(tmp_path / "none"), "--state-dir", str(tmp_path), *flags])
    assert status == 2
    assert message in capsys.readouterr().err
