"""hack/install-azurite.sh installs Azurite from npm into a versioned cache folder and is idempotent.

Covers: the printed launcher exists and runs (`--version` reports the pinned version); a second run finds the install,
says so, and prints the same path without touching npm; a run with a cache folder that has no install but no node on
the PATH fails with a message naming what to install.
"""

from __future__ import annotations

import pathlib
import re
import shutil
import subprocess

import pytest

SCRIPT = pathlib.Path(__file__).resolve().parents[1] / "install-azurite.sh"


def run(env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT)], capture_output=True, text=True, timeout=600, check=False, env=env)


@pytest.mark.skipif(shutil.which("npm") is None, reason="node and npm are not installed")
def test_installs_once_and_then_reuses() -> None:
    first = run()
    assert first.returncode == 0, first.stderr
    launcher = pathlib.Path(first.stdout.strip().splitlines()[-1])
    pinned = re.search(r"^AZURITE_VERSION=(\S+)", SCRIPT.read_text(), re.MULTILINE)
    assert pinned is not None
    assert launcher.name == "azurite-blob"
    assert f"azurite-{pinned.group(1)}" in str(launcher)
    version = subprocess.run([str(launcher), "--version"], capture_output=True, text=True, timeout=60, check=True)
    assert version.stdout.strip() == pinned.group(1)
    second = run()
    assert second.returncode == 0
    assert second.stdout.strip().splitlines()[-1] == str(launcher)
    assert "already installed" in second.stderr


def test_without_node_says_what_to_install(tmp_path: pathlib.Path) -> None:
    tools = tmp_path / "bin"  # a PATH with the shell utilities the script uses, and no node or npm
    tools.mkdir()
    for name in ("date", "dirname"):
        found = shutil.which(name)
        assert found is not None
        (tools / name).symlink_to(found)
    env = {"PATH": str(tools), "HOME": str(tmp_path), "MODELPLANE_CACHE": str(tmp_path / "cache")}
    result = subprocess.run(
        ["/bin/bash", str(SCRIPT)], capture_output=True, text=True, timeout=60, check=False, env=env
    )
    assert result.returncode == 2
    assert "node and npm are needed to install Azurite" in result.stderr
    assert "command not found" not in result.stderr
