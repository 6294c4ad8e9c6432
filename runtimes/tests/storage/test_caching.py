"""Covers storage.caching: the directory layout, publishing a built tree by one rename, staging cleaned up when a
build fails, a dead build's staging removed by the next holder of its key's lock, the lock making a second
initializer wait (and say so) until the first is done, and a cache directory that cannot be created."""

from __future__ import annotations

import io
import pathlib
import threading
import time

import pytest
from modelplane.runtime.storage import caching, errors


def test_layout_and_publish(tmp_path: pathlib.Path) -> None:
    cache = caching.Cache(tmp_path / "cache")
    assert sorted(path.name for path in (tmp_path / "cache").iterdir()) == ["entries", "locks", "staging"]
    assert not cache.has("k1")
    with cache.staging("k1") as work:
        (work / "tree").mkdir()
        (work / "tree" / "model.bin").write_bytes(b"m")
        entry = cache.publish(work / "tree", "k1")
    assert cache.has("k1")
    assert (entry / "model.bin").read_bytes() == b"m"
    assert list((tmp_path / "cache" / "staging").iterdir()) == []


def test_failed_build_leaves_no_staging_and_no_entry(tmp_path: pathlib.Path) -> None:
    cache = caching.Cache(tmp_path)

    def build() -> None:
        with cache.staging("k1") as work:
            (work / "partial.bin").write_bytes(b"half")
            raise RuntimeError("download broke")

    with pytest.raises(RuntimeError, match="download broke"):
        build()
    assert list((tmp_path / "staging").iterdir()) == []
    assert not cache.has("k1")


def test_staging_of_a_dead_build_is_removed_under_the_lock(tmp_path: pathlib.Path) -> None:
    cache = caching.Cache(tmp_path)
    dead = tmp_path / "staging" / "k1.abandoned"
    (dead / "tree").mkdir(parents=True)
    other = tmp_path / "staging" / "k2.in-progress"
    other.mkdir()
    with cache.locked("k1", out=io.StringIO()):
        assert not dead.exists()
    assert other.exists()  # another key's build is not this lock holder's to remove


def test_lock_makes_the_second_initializer_wait(tmp_path: pathlib.Path) -> None:
    cache = caching.Cache(tmp_path)
    events: list[str] = []
    first_holds = threading.Event()
    second_out = io.StringIO()

    def first() -> None:
        with cache.locked("k", out=io.StringIO()):
            events.append("first in")
            first_holds.set()
            time.sleep(0.3)
            events.append("first out")

    def second() -> None:
        first_holds.wait(5)
        with cache.locked("k", out=second_out):
            events.append("second in")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert events == ["first in", "first out", "second in"]
    assert "another initializer is fetching the same model into the cache; waiting" in second_out.getvalue()


def test_other_keys_do_not_wait(tmp_path: pathlib.Path) -> None:
    cache = caching.Cache(tmp_path)
    out = io.StringIO()
    with cache.locked("a", out=out), cache.locked("b", out=out):
        pass
    assert out.getvalue() == ""


def test_cache_directory_that_cannot_be_created(tmp_path: pathlib.Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(errors.DestinationError, match=r"cannot be created.*fix MODELPLANE_STORAGE_CACHE"):
        caching.Cache(blocker / "cache")
