"""The node-local cache: a finished model tree per cache key, published by one atomic rename, guarded by a lock.

Layout under the cache root (`MODELPLANE_STORAGE_CACHE`, typically a hostPath shared by the pods on a node):
`entries/<key>/` holds finished trees, `staging/<key>.*` trees being built, `locks/<key>.lock` are lock files. An
initializer takes the key's lock (an exclusive `flock`, released by the kernel if the process dies), looks for the
entry, and only builds it when it is missing, in `staging/`, then renames it into `entries/` in one step: a reader
never sees half a tree. A second replica waiting on the lock finds the entry and copies it out instead of downloading.
A build killed half-way leaves its staging directory behind; the next initializer to take that key's lock removes it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pathlib
import shutil
import tempfile
from collections.abc import Iterator
from typing import TextIO

from modelplane.runtime.storage import errors


class Cache:
    def __init__(self, root: pathlib.Path) -> None:
        self.root = root
        try:
            for folder in ("entries", "staging", "locks"):
                (root / folder).mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise errors.DestinationError(
                f"cache directory {root} cannot be created ({error.strerror}); fix MODELPLANE_STORAGE_CACHE or unset it"
            ) from None

    def entry(self, key: str) -> pathlib.Path:
        return self.root / "entries" / key

    def has(self, key: str) -> bool:
        return self.entry(key).is_dir()

    @contextlib.contextmanager
    def locked(self, key: str, *, out: TextIO) -> Iterator[None]:
        """Hold the key's lock; says on `out` when it has to wait for another initializer."""
        with open(self.root / "locks" / f"{key}.lock", "a+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                print(
                    f"modelplane-storage-init: another initializer is fetching the same model into the cache; waiting"
                    f" for it ({key[:12]})",
                    file=out,
                    flush=True,
                )
                fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                # Holding the lock, any staging left for this key belongs to an initializer that died mid-build.
                for leftover in (self.root / "staging").glob(f"{key}.*"):
                    shutil.rmtree(leftover, ignore_errors=True)
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def staging(self, key: str) -> Iterator[pathlib.Path]:
        """A fresh directory to build `key`'s entry in (call it holding the key's lock); removed afterwards, with
        whatever was not published out of it."""
        path = pathlib.Path(tempfile.mkdtemp(prefix=f"{key}.", dir=self.root / "staging"))
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)

    def publish(self, tree: pathlib.Path, key: str) -> pathlib.Path:
        """Move a finished tree into place under `key` in one rename (the caller holds the key's lock)."""
        entry = self.entry(key)
        os.rename(tree, entry)
        return entry
