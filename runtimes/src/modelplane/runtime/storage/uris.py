"""What a source URI means: which kind of store, and where in it. Pure: parsing only, no I/O.

Accepted forms (as KServe's `storageUri`):
- `/abs/path`, `rel/path`, `file:///abs/path`: a local file or directory;
- `http://host/path`, `https://host/path`: one file (an archive is unpacked);
- `s3://bucket/key-or-prefix`;
- `gs://bucket/name-or-prefix`;
- `https://<account>.blob.core.windows.net/<container>/<name-or-prefix>`: Azure blob storage.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import urllib.parse

from modelplane.runtime.storage import errors

_AZURE_HOST = re.compile(r"^(?P<account>[a-z0-9]{3,24})\.blob\.core\.windows\.net$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]$")


class Scheme(enum.Enum):
    LOCAL = "file"
    HTTP = "http"
    S3 = "s3"
    GCS = "gs"
    AZURE = "azure"


@dataclasses.dataclass(frozen=True)
class Location:
    """A parsed source. `container` is the bucket (S3, GCS) or container (Azure); `path` is the object name or
    prefix inside it, the local path, or (for HTTP) unused. `account` is the Azure storage account."""

    uri: str
    scheme: Scheme
    path: str = ""
    container: str = ""
    account: str = ""

    @property
    def basename(self) -> str:
        """The last segment of the path or URL path (what a single downloaded file is called)."""
        if self.scheme is Scheme.HTTP:
            return urllib.parse.unquote(urllib.parse.urlsplit(self.uri).path.rstrip("/").rpartition("/")[2])
        return self.path.rstrip("/").rpartition("/")[2]


def parse(uri: str) -> Location:
    """Parse a source URI, raising `InvalidUri` with what is wrong and an example of the right form."""
    text = uri.strip()
    if not text:
        raise errors.InvalidUri("the source URI is empty; give e.g. s3://bucket/models/iris or /mnt/pvc/iris")
    split = urllib.parse.urlsplit(text)
    scheme = split.scheme.lower()
    if scheme == "":
        return Location(uri=text, scheme=Scheme.LOCAL, path=text)
    if scheme == "file":
        if split.netloc not in ("", "localhost"):
            raise errors.InvalidUri(f"{text!r} names host {split.netloc!r}; a file:// URI must be file:///abs/path")
        path = urllib.parse.unquote(split.path)
        if not path:
            raise errors.InvalidUri(f"{text!r} has no path; write file:///abs/path")
        return Location(uri=text, scheme=Scheme.LOCAL, path=path)
    if scheme in ("http", "https"):
        host = (split.hostname or "").lower()
        if not host:
            raise errors.InvalidUri(f"{text!r} has no host; write {scheme}://host/path")
        azure = _AZURE_HOST.match(host)
        if scheme == "https" and azure:
            return _azure(text, split, account=azure.group("account"))
        return Location(uri=text, scheme=Scheme.HTTP)
    if scheme in ("s3", "gs"):
        bucket = split.netloc
        if not bucket:
            raise errors.InvalidUri(f"{text!r} has no bucket; write {scheme}://bucket/path")
        if not _BUCKET.match(bucket):
            raise errors.InvalidUri(
                f"{text!r}: {bucket!r} is not a valid bucket name (3 to 222 lower-case letters, digits, '.', '-' or"
                " '_', starting and ending with a letter or digit)"
            )
        return Location(
            uri=text,
            scheme=Scheme.S3 if scheme == "s3" else Scheme.GCS,
            container=bucket,
            path=urllib.parse.unquote(split.path).lstrip("/"),
        )
    if scheme == "pvc":
        raise errors.InvalidUri(
            f"{text!r}: pvc:// sources are mounted by the controller, not downloaded; the initializer is not needed"
        )
    raise errors.InvalidUri(
        f"{text!r} has scheme {split.scheme!r}, which is not served; use a local path, file://, http(s)://, s3://,"
        " gs:// or https://<account>.blob.core.windows.net/<container>/<path>"
    )


def _azure(text: str, split: urllib.parse.SplitResult, *, account: str) -> Location:
    container, _, path = urllib.parse.unquote(split.path).lstrip("/").partition("/")
    if not container:
        raise errors.InvalidUri(
            f"{text!r} names no container; write https://{account}.blob.core.windows.net/<container>/<path>"
        )
    return Location(uri=text, scheme=Scheme.AZURE, account=account, container=container, path=path)
