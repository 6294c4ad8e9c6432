"""Covers the `modelplane-storage-init` command as the init container runs it (a separate process): success with a
closing line, and for each failure a single `modelplane-storage-init: ...` line on stderr, no traceback, and its exit
code: bad URI (2), bad limit setting (2), missing credentials (3), 403 (4), 404 (5), rejected archive (6), server
down (7), unwritable destination (8); plus the --max-bytes option and the installed console script."""

from __future__ import annotations

import io
import os
import pathlib
import subprocess
import sys
import tarfile

import pytest

from runtimes.tests.storage import helpers
from runtimes.tests.storage.conftest import Web, WebFile, free_port


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "MODELPLANE_STORAGE"))}
    return subprocess.run(
        [sys.executable, "-m", "modelplane.runtime.storage", *args],
        env=clean | (env or {}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def failure_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines, "nothing printed"
    assert lines[-1].startswith("modelplane-storage-init: ")
    return lines[-1]


def test_success(web: Web, tmp_path: pathlib.Path) -> None:
    web.files["/iris.tgz"] = WebFile(helpers.tar_gz({"model.joblib": b"m"}))
    result = run(f"{web.url}/iris.tgz", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert f"{web.url}/iris.tgz is ready in {tmp_path / 'out'}" in result.stderr
    assert helpers.tree(tmp_path / "out") == {"model.joblib": b"m"}


@pytest.mark.parametrize(
    ("setup", "env", "code", "message"),
    [
        pytest.param("ftp", {}, 2, "has scheme 'ftp', which is not served", id="bad-scheme"),
        pytest.param("ok", {"MODELPLANE_STORAGE_MAX_BYTES": "lots"}, 2, "give a whole number", id="bad-limit"),
        pytest.param("s3", {"AWS_ACCESS_KEY_ID": "k"}, 3, "AWS_SECRET_ACCESS_KEY is not", id="missing-credentials"),
        pytest.param("403", {}, 4, "HTTP 403; the server refused access", id="forbidden"),
        pytest.param("404", {}, 5, "HTTP 404; nothing at that URL", id="not-found"),
        pytest.param("evil", {}, 6, "is a symbolic link to '/etc/passwd'", id="archive-rejected"),
        pytest.param("down", {}, 7, "ConnectError", id="server-down"),
        pytest.param("unwritable", {}, 8, "cannot be created", id="unwritable-destination"),
    ],
)
def test_failures_are_one_line_with_an_exit_code(
    web: Web, tmp_path: pathlib.Path, setup: str, env: dict[str, str], code: int, message: str
) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        link = tarfile.TarInfo("passwd")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    web.files["/ok.bin"] = WebFile(b"m")
    web.files["/evil.tar.gz"] = WebFile(buffer.getvalue())
    web.statuses["/forbidden"] = 403
    destination = tmp_path / "out"
    uri = {
        "ftp": "ftp://host/model",
        "ok": f"{web.url}/ok.bin",
        "s3": "s3://bucket/model",
        "403": f"{web.url}/forbidden",
        "404": f"{web.url}/absent",
        "evil": f"{web.url}/evil.tar.gz",
        "down": f"http://127.0.0.1:{free_port()}/m",
        "unwritable": f"{web.url}/ok.bin",
    }[setup]
    if setup == "unwritable":
        (tmp_path / "file").write_text("x")
        destination = tmp_path / "file" / "out"
    result = run(uri, str(destination), env=env)
    assert result.returncode == code
    assert message in failure_line(result)


def test_max_bytes_option(web: Web, tmp_path: pathlib.Path) -> None:
    web.files["/big.tar.gz"] = WebFile(helpers.tar_gz({"a.bin": b"\0" * 5000}))
    result = run(f"{web.url}/big.tar.gz", str(tmp_path / "out"), "--max-bytes", "4000")
    assert result.returncode == 6
    assert "unpacks to more than 4000 bytes; raise --max-bytes" in failure_line(result)


def test_missing_arguments_print_usage() -> None:
    result = run()
    assert result.returncode == 2
    assert "usage: modelplane-storage-init [-h]" in result.stderr


def test_console_script_is_installed() -> None:
    script = pathlib.Path(sys.executable).parent / "modelplane-storage-init"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0
    assert "SRC_URI" in result.stdout
