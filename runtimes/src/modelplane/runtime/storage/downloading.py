"""Fetching a model into its destination: the storage initializer's whole job, from URI to a finished directory.

Steps: parse the URI; for a local source copy (or unpack) it; for a remote one, list the objects, and when a cache is
configured and every object has a version token, look the content up by its cache key (waiting on the key's lock if
another initializer is fetching it) and build it in the cache only when it is missing. Building means downloading each
object into a staging directory and, for a single archive, unpacking it there. The finished tree then lands in the
destination: copied out of the cache, or moved in from a staging directory inside the destination, so a failure
leaves no partial model behind and nothing is ever written outside the destination and the cache.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pathlib
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from typing import TextIO

from modelplane.runtime.storage import archives, caching, errors, extracting, fingerprints, progress, stores, uris


@dataclasses.dataclass(frozen=True, kw_only=True)
class Request:
    """One run of the initializer: what to fetch, where to, and the limits and cache to use."""

    uri: str
    destination: pathlib.Path
    cache_dir: pathlib.Path | None = None
    limits: archives.Limits = dataclasses.field(default_factory=archives.Limits)


CACHE_ENV = "MODELPLANE_STORAGE_CACHE"
MAX_BYTES_ENV = "MODELPLANE_STORAGE_MAX_BYTES"
MAX_FILES_ENV = "MODELPLANE_STORAGE_MAX_FILES"


def limit(given: int | None, *, env: Mapping[str, str], variable: str, default: int) -> int:
    """The option if given, else the environment variable, else the default; InvalidSetting if not a positive int."""
    if given is None:
        text = env.get(variable, "").strip()
        if not text:
            return default
        if not text.isdigit():
            raise errors.InvalidSetting(f"{variable} is {text!r}; give a whole number")
        given = int(text)
    if given < 1:
        raise errors.InvalidSetting(
            f"{variable.removeprefix('MODELPLANE_STORAGE_').lower()} is {given}; it must be >= 1"
        )
    return given


def request_from_env(
    *,
    uri: str,
    destination: pathlib.Path,
    env: Mapping[str, str],
    max_bytes: int | None = None,
    max_files: int | None = None,
) -> Request:
    """A Request with the cache and the archive limits the environment sets (what the initializer and the model
    server's run-time loads both read), the limits given here taking precedence."""
    cache = env.get(CACHE_ENV, "").strip()
    limits = archives.Limits(
        max_bytes=limit(max_bytes, env=env, variable=MAX_BYTES_ENV, default=archives.DEFAULT_MAX_BYTES),
        max_files=limit(max_files, env=env, variable=MAX_FILES_ENV, default=archives.DEFAULT_MAX_FILES),
    )
    return Request(uri=uri, destination=destination, cache_dir=pathlib.Path(cache) if cache else None, limits=limits)


def fetch(request: Request, *, env: Mapping[str, str], out: TextIO) -> None:
    """Put the model at `request.uri` into `request.destination`, or raise a StorageError saying why not."""
    location = uris.parse(request.uri)
    destination = _prepare_destination(request.destination)
    _remove_stale_staging(destination)
    if location.scheme is uris.Scheme.LOCAL:
        with _staging_in(destination) as tree:
            _copy_local(location, tree=tree, request=request, out=out)
            _move_children(tree, destination)
        return
    store = stores.open_store(location, env=env)
    try:
        objects = store.list_objects()
        key = fingerprints.cache_key(location.uri, objects) if request.cache_dir else None
        if request.cache_dir is not None and key is None:
            print(
                f"modelplane-storage-init: {location.uri}: the store gives no version token (ETag, generation) for"
                " every object, so the cache could not tell a changed model from the old one; not caching",
                file=out,
                flush=True,
            )
        if request.cache_dir is None or key is None:
            with _staging_in(destination) as tree:
                _build(store, objects, location=location, tree=tree, request=request, out=out)
                _move_children(tree, destination)
            return
        cache = caching.Cache(request.cache_dir)
        with cache.locked(key, out=out):
            if cache.has(key):
                print(f"modelplane-storage-init: {location.uri}: found in the cache ({key[:12]})", file=out, flush=True)
            else:
                with cache.staging(key) as work:
                    tree = work / "tree"
                    tree.mkdir()
                    _build(store, objects, location=location, tree=tree, request=request, out=out)
                    cache.publish(tree, key)
        # A published entry never changes, so it is copied out without holding the lock.
        with _staging_in(destination) as tree:
            shutil.copytree(cache.entry(key), tree, symlinks=True, dirs_exist_ok=True)
            _move_children(tree, destination)
    finally:
        store.close()


def _build(
    store: stores.Store,
    objects: list[fingerprints.RemoteObject],
    *,
    location: uris.Location,
    tree: pathlib.Path,
    request: Request,
    out: TextIO,
) -> None:
    """Download the objects into the empty directory `tree`; a single archive is unpacked there instead."""
    archive_format = None
    if len(objects) == 1:
        archive_format = archives.format_of(objects[0].name, content_type=objects[0].content_type)
    if archive_format is not None:
        download = tree.parent / f".{tree.name}.archive"
        _download(store, objects[0], path=download, out=out)
        try:
            extracting.extract(
                download, archive_format=archive_format, target=tree, label=location.uri, limits=request.limits
            )
        finally:
            download.unlink(missing_ok=True)
        return
    for item in objects:
        path = tree.joinpath(*item.name.split("/")) if item.name else tree / location.basename
        path.parent.mkdir(parents=True, exist_ok=True)
        _download(store, item, path=path, out=out)


def _download(store: stores.Store, item: fingerprints.RemoteObject, *, path: pathlib.Path, out: TextIO) -> None:
    report = progress.Progress(label=item.key, total=item.size, out=out)
    store.download(item, path, report)
    report.finish()


def _copy_local(location: uris.Location, *, tree: pathlib.Path, request: Request, out: TextIO) -> None:
    source = pathlib.Path(location.path)
    if not source.exists():
        raise errors.SourceNotFound(f"{location.uri}: no such file or directory")
    try:
        if source.is_dir():
            shutil.copytree(source, tree, symlinks=False, dirs_exist_ok=True)
            print(f"modelplane-storage-init: copied directory {source}", file=out, flush=True)
            return
        archive_format = archives.format_of(source.name)
        if archive_format is not None:
            extracting.extract(
                source, archive_format=archive_format, target=tree, label=location.uri, limits=request.limits
            )
            print(f"modelplane-storage-init: unpacked {source}", file=out, flush=True)
            return
        shutil.copy2(source, tree / source.name)
        print(f"modelplane-storage-init: copied {source}", file=out, flush=True)
    except PermissionError as error:
        raise errors.AccessDenied(f"{location.uri}: cannot read {error.filename}: permission denied") from None


def _prepare_destination(destination: pathlib.Path) -> pathlib.Path:
    try:
        destination.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise errors.DestinationError(f"destination {destination} cannot be created: {error.strerror}") from None
    if not os.access(destination, os.W_OK):
        raise errors.DestinationError(f"destination {destination} is not writable by this user (uid {os.getuid()})")
    return destination


_STAGING_PREFIX = ".modelplane-staging-"


def _remove_stale_staging(destination: pathlib.Path) -> None:
    """Remove staging directories a killed earlier run left in the destination (an init container is re-run in the
    same volume after a crash); no other initializer writes into one pod's destination at the same time."""
    for leftover in destination.glob(f"{_STAGING_PREFIX}*"):
        shutil.rmtree(leftover, ignore_errors=True)


@contextlib.contextmanager
def _staging_in(destination: pathlib.Path) -> Iterator[pathlib.Path]:
    """A hidden staging directory inside the destination (the only place the initializer may write), removed after."""
    work = pathlib.Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=destination))
    try:
        tree = work / "tree"
        tree.mkdir()
        yield tree
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _move_children(tree: pathlib.Path, destination: pathlib.Path) -> None:
    """Move everything in `tree` into `destination`, replacing what is there under the same names."""
    for child in tree.iterdir():
        target = destination / child.name
        if target.is_dir() and not target.is_symlink() and child.is_dir() and not child.is_symlink():
            _move_children(child, target)
            continue
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
        os.rename(child, target)
