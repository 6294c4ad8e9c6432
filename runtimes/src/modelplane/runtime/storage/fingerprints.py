"""Cache keys: one name per (source, version of its content), so a changed model never hits a stale cache entry.

The key hashes the source URI together with every object's name, size and version token (an S3 ETag or VersionId,
a GCS generation, an Azure ETag, an HTTP ETag or Last-Modified). A source whose store gives no version token for some
object has no key and is not cached: without one, a cached copy could silently be an old model. Pure.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json


@dataclasses.dataclass(frozen=True)
class RemoteObject:
    """One object to download: `name` is its path relative to the destination, `key` what the store calls it."""

    key: str
    name: str
    size: int | None = None
    version: str = ""
    content_type: str = ""


def cache_key(uri: str, objects: list[RemoteObject]) -> str | None:
    """A hex SHA-256 naming the content at `uri`, or None when some object has no version token."""
    if not objects or any(not item.version for item in objects):
        return None
    listing = sorted((item.name, item.size, item.version) for item in objects)
    document = json.dumps({"uri": uri, "objects": listing}, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(document.encode("utf-8")).hexdigest()
