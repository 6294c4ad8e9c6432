"""Tests for the `modelplane` entry point (modelplane.cli.__main__).

Covers: every registered subcommand appears in the parser with its help, a subcommand is required, and each
registered module offers HELP, configure and run.
"""

from __future__ import annotations

import importlib

import pytest
from modelplane.cli import __main__ as cli


@pytest.mark.parametrize("name", sorted(cli.SUBCOMMANDS))
def test_registered_modules_have_the_subcommand_interface(name: str) -> None:
    module = importlib.import_module(cli.SUBCOMMANDS[name])
    assert isinstance(module.HELP, str)
    assert module.HELP
    assert callable(module.configure)
    assert callable(module.run)


def test_help_lists_the_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for name in cli.SUBCOMMANDS:
        assert name in out


def test_a_subcommand_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main([])
    assert exited.value.code == 2
    assert "COMMAND" in capsys.readouterr().err
