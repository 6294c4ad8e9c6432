"""Shared helpers for the storage tests: running the initializer in-process and building archives in memory."""

from __future__ import annotations

import io
import pathlib
import tarfile
import zipfile
from collections.abc import Mapping

from modelplane.runtime.storage import archives, downloading


def fetch(
    uri: str,
    destination: pathlib.Path,
    *,
    env: Mapping[str, str] | None = None,
    cache_dir: pathlib.Path | None = None,
    limits: archives.Limits | None = None,
) -> str:
    """Run the initializer in this process and return what it printed."""
    out = io.StringIO()
    request = downloading.Request(
        uri=uri,
        destination=destination,
        cache_dir=cache_dir,
        limits=limits or archives.Limits(),
    )
    downloading.fetch(request, env=env or {}, out=out)
    return out.getvalue()


def tree(root: pathlib.Path) -> dict[str, bytes]:
    """Every regular file below `root` as {relative posix path: content}."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


def tar_gz(files: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, body in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return buffer.getvalue()


def zipped(files: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name, body in files.items():
            bundle.writestr(name, body)
    return buffer.getvalue()
