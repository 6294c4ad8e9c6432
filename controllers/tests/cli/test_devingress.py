"""Tests for `modelplane dev-ingress` (modelplane.cli.devingress).

Covers: a missing nginx binary and a bad port are refused in one line that says how to fix them.
"""

from __future__ import annotations

import pathlib

import pytest
from modelplane.cli import __main__ as cli


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        pytest.param(["--nginx", "/nonexistent/nginx"], "run hack/install-nginx.sh", id="no-nginx"),
        pytest.param(["--nginx", "/bin/true", "--port", "70000"], "is not a TCP port", id="bad-port"),
    ],
)
def test_bad_settings_are_refused(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    status = cli.main(
        ["dev-ingress", "run", "--kubeconfig", str(tmp_path / "none"), "--state-dir", str(tmp_path), *flags]
    )
    assert status == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
