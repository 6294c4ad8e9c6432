"""Tests for `modelplane generate` (modelplane.cli.generate).

Covers: every generated file written under --root with the rendered text, a second run writing nothing, and a
missing root reported as one line.
"""

from __future__ import annotations

import pathlib

import pytest
from modelplane.api import generated
from modelplane.cli import __main__ as cli


def test_writes_every_file_then_nothing(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["generate", "--root", str(tmp_path)]) == 0
    files = generated.files()
    assert capsys.readouterr().out.splitlines() == [f"wrote {relative}" for relative in files]
    for relative, text in files.items():
        assert (tmp_path / relative).read_text() == text
    assert cli.main(["generate", "--root", str(tmp_path)]) == 0
    assert capsys.readouterr().out == ""


def test_missing_root_is_an_error(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["generate", "--root", str(tmp_path / "nope")]) == 2
    assert "is not a directory" in capsys.readouterr().err
