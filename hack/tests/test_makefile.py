"""Covers the Makefile's promise that `make help` lists every target with its one-line description."""

from __future__ import annotations

import pathlib
import re
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _targets() -> set[str]:
    """Every target the Makefile defines (pattern rules and special targets aside)."""
    text = (ROOT / "Makefile").read_text()
    names = set()
    for line in text.splitlines():
        match = re.match(r"^([a-zA-Z0-9_.-]+)\s*:(?!=)", line)
        if match and not match.group(1).startswith("."):
            names.add(match.group(1))
    return names


def test_help_lists_every_target_with_a_description() -> None:
    done = subprocess.run(["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    plain = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout)
    listed = {}
    for line in plain.splitlines():
        match = re.match(r"^  (\S+)\s+(\S.*)$", line)
        if match:
            listed[match.group(1)] = match.group(2)
    targets = _targets()
    assert len(targets) > 20
    assert sorted(targets - set(listed)) == []
    assert all(description.strip() for description in listed.values())


def test_help_is_the_default_target() -> None:
    default = subprocess.run(["make", "--no-print-directory"], cwd=ROOT, capture_output=True, text=True)
    help_ = subprocess.run(["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True)
    assert default.returncode == 0
    assert default.stdout == help_.stdout
