"""Covers storage.downloading end to end: local sources (directory, file, archive, file://, missing), the cache (a
second fetch served from it without a download, a changed ETag fetched again, a source without versions not cached,
two initializer processes at once downloading only once), a rejected archive leaving the destination and the cache
empty, staging left by a killed run removed, and an unwritable destination."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest
from modelplane.runtime.storage import errors

from runtimes.tests.storage import helpers
from runtimes.tests.storage.conftest import Web, WebFile


def test_local_directory(tmp_path: pathlib.Path) -> None:
    source = tmp_path / "src"
    (source / "sub").mkdir(parents=True)
    (source / "model.joblib").write_bytes(b"m")
    (source / "sub" / "x.txt").write_bytes(b"x")
    helpers.fetch(str(source), tmp_path / "out")
    assert helpers.tree(tmp_path / "out") == {"model.joblib": b"m", "sub/x.txt": b"x"}


def test_local_file_by_file_uri(tmp_path: pathlib.Path) -> None:
    (tmp_path / "model.bst").write_bytes(b"xgb")
    helpers.fetch(f"file://{tmp_path}/model.bst", tmp_path / "out")
    assert helpers.tree(tmp_path / "out") == {"model.bst": b"xgb"}


def test_local_archive_is_unpacked(tmp_path: pathlib.Path) -> None:
    (tmp_path / "m.zip").write_bytes(helpers.zipped({"a/b.txt": b"b"}))
    helpers.fetch(str(tmp_path / "m.zip"), tmp_path / "out")
    assert helpers.tree(tmp_path / "out") == {"a/b.txt": b"b"}


def test_local_missing(tmp_path: pathlib.Path) -> None:
    with pytest.raises(errors.SourceNotFound, match="no such file or directory"):
        helpers.fetch(str(tmp_path / "absent"), tmp_path / "out")


def test_second_fetch_comes_from_the_cache(web: Web, tmp_path: pathlib.Path) -> None:
    web.files["/iris.tar.gz"] = WebFile(helpers.tar_gz({"model.joblib": b"m"}))
    cache = tmp_path / "cache"
    helpers.fetch(f"{web.url}/iris.tar.gz", tmp_path / "replica-1", cache_dir=cache)
    printed = helpers.fetch(f"{web.url}/iris.tar.gz", tmp_path / "replica-2", cache_dir=cache)
    assert web.gets("/iris.tar.gz") == 1
    assert "found in the cache" in printed
    assert helpers.tree(tmp_path / "replica-1") == helpers.tree(tmp_path / "replica-2") == {"model.joblib": b"m"}


def test_changed_etag_is_fetched_again(web: Web, tmp_path: pathlib.Path) -> None:
    cache = tmp_path / "cache"
    web.files["/m.bin"] = WebFile(b"version 1")
    helpers.fetch(f"{web.url}/m.bin", tmp_path / "a", cache_dir=cache)
    web.files["/m.bin"] = WebFile(b"version 2")
    helpers.fetch(f"{web.url}/m.bin", tmp_path / "b", cache_dir=cache)
    assert web.gets("/m.bin") == 2
    assert helpers.tree(tmp_path / "b") == {"m.bin": b"version 2"}


def test_source_without_versions_is_not_cached(web: Web, tmp_path: pathlib.Path) -> None:
    web.files["/m.bin"] = WebFile(b"m", etag=False)
    printed = helpers.fetch(f"{web.url}/m.bin", tmp_path / "a", cache_dir=tmp_path / "cache")
    helpers.fetch(f"{web.url}/m.bin", tmp_path / "b", cache_dir=tmp_path / "cache")
    assert web.gets("/m.bin") == 2
    assert "not caching" in printed
    assert not (tmp_path / "cache").exists()


def test_two_initializer_processes_download_once(web: Web, tmp_path: pathlib.Path) -> None:
    web.files["/iris.zip"] = WebFile(helpers.zipped({"model.joblib": b"m"}))
    web.delay_s = 0.5  # every request is slow, so the two processes overlap
    env = {**os.environ, "MODELPLANE_STORAGE_CACHE": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "modelplane.runtime.storage", f"{web.url}/iris.zip"]
    processes = [
        subprocess.Popen([*command, str(tmp_path / f"replica-{index}")], env=env, stderr=subprocess.PIPE, text=True)
        for index in (1, 2)
    ]
    outputs = [process.communicate(timeout=60)[1] for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    assert web.gets("/iris.zip") == 1
    assert sum("found in the cache" in output for output in outputs) == 1
    assert helpers.tree(tmp_path / "replica-1") == helpers.tree(tmp_path / "replica-2") == {"model.joblib": b"m"}


@pytest.mark.parametrize("cached", [False, True], ids=["no-cache", "cache"])
def test_rejected_archive_leaves_nothing_behind(web: Web, tmp_path: pathlib.Path, cached: bool) -> None:
    web.files["/evil.tar.gz"] = WebFile(helpers.tar_gz({"good.txt": b"g", "../../evil.txt": b"x"}))
    cache = tmp_path / "cache" if cached else None
    with pytest.raises(errors.ArchiveRejected, match=r"contains '\.\.'"):
        helpers.fetch(f"{web.url}/evil.tar.gz", tmp_path / "dest" / "out", cache_dir=cache)
    assert list((tmp_path / "dest" / "out").iterdir()) == []  # no partial model, no staging directory
    assert sorted(path.name for path in (tmp_path / "dest").iterdir()) == ["out"]
    assert not (tmp_path / "evil.txt").exists()
    if cache is not None:
        assert list((cache / "entries").iterdir()) == []
        assert list((cache / "staging").iterdir()) == []


def test_staging_left_by_a_killed_run_is_removed(tmp_path: pathlib.Path) -> None:
    leftover = tmp_path / "out" / ".modelplane-staging-abc123" / "tree"
    leftover.mkdir(parents=True)
    (leftover / "half.bin").write_bytes(b"half")
    (tmp_path / "model.bin").write_bytes(b"m")
    helpers.fetch(str(tmp_path / "model.bin"), tmp_path / "out")
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["model.bin"]


def test_unwritable_destination(tmp_path: pathlib.Path) -> None:
    (tmp_path / "file").write_text("x")
    (tmp_path / "model.bin").write_bytes(b"m")
    with pytest.raises(errors.DestinationError, match="cannot be created"):
        helpers.fetch(str(tmp_path / "model.bin"), tmp_path / "file" / "out")
