"""Stores: one module per kind of remote source, each listing the objects at a location and downloading one.

Every store has the same two operations (`Store`), so `downloading` treats S3, GCS, Azure and HTTP alike. A store's
client library is imported only when its scheme is used: `file://` and `http(s)://` need none of them, and a missing
one is a clear error naming the extra to install.
"""

from __future__ import annotations

import importlib
import pathlib
from collections.abc import Mapping
from typing import Protocol

from modelplane.runtime.storage import archives, errors, fingerprints, progress, uris


class Store(Protocol):
    def list_objects(self) -> list[fingerprints.RemoteObject]:
        """The objects at the location: one for a single file, all below it for a prefix. SourceNotFound if none."""
        ...

    def download(self, item: fingerprints.RemoteObject, path: pathlib.Path, report: progress.Progress) -> None:
        """Write one object to `path`, reporting bytes to `report`."""
        ...

    def close(self) -> None: ...


_MODULES = {
    uris.Scheme.HTTP: "modelplane.runtime.storage.stores.http",
    uris.Scheme.S3: "modelplane.runtime.storage.stores.s3",
    uris.Scheme.GCS: "modelplane.runtime.storage.stores.gcs",
    uris.Scheme.AZURE: "modelplane.runtime.storage.stores.azure",
}
_LIBRARIES = {uris.Scheme.S3: "boto3", uris.Scheme.GCS: "google-cloud-storage", uris.Scheme.AZURE: "azure-storage-blob"}


def open_store(location: uris.Location, *, env: Mapping[str, str]) -> Store:
    """The store for a remote location, with credentials from `env` (the KServe variable names)."""
    try:
        module = importlib.import_module(_MODULES[location.scheme])
    except ImportError as error:
        library = _LIBRARIES.get(location.scheme, str(error.name))
        raise errors.InvalidSetting(
            f"{location.uri}: {library} is not installed; install modelplane-runtime[storage]"
        ) from None
    store: Store = module.open_store(location, env=env)
    return store


def prefix_of(path: str) -> str:
    """The listing prefix for a location path: everything below `path` as a folder ("" lists the whole bucket)."""
    stripped = path.rstrip("/")
    return f"{stripped}/" if stripped else ""


def relative_name(key: str, *, prefix: str, uri: str) -> str:
    """An object's path below the destination: its key less the prefix, vetted so a `..` in a key cannot escape."""
    return archives.safe_relative_path(key[len(prefix) :], what=f"{uri}: object", error=errors.UnsafeContent)
