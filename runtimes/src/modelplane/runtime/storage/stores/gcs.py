"""Google Cloud Storage sources through google-cloud-storage.

Credentials: `GOOGLE_APPLICATION_CREDENTIALS` names a service-account JSON key file (as the controller mounts it);
without it requests are anonymous, for public buckets. `STORAGE_EMULATOR_HOST` points the client at another
endpoint (a local emulator, a GCS-compatible server), as Google's own tools read it. The version token is the
object's generation, and each download asks for exactly that generation.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Mapping
from typing import Any

import google.api_core.exceptions as google_errors
import google.auth.exceptions
import requests
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage
from modelplane.runtime.storage import errors, fingerprints, progress, stores, uris


def make_client(env: Mapping[str, str]) -> tuple[storage.Client, bool]:
    """A client configured from the environment, and whether it is anonymous."""
    options: dict[str, Any] = {}
    if env.get("STORAGE_EMULATOR_HOST"):
        options["client_options"] = {"api_endpoint": env["STORAGE_EMULATOR_HOST"]}
    key_file = env.get("GOOGLE_APPLICATION_CREDENTIALS", "")
    if not key_file:
        anonymous = AnonymousCredentials()  # type: ignore[no-untyped-call]
        return storage.Client(project="anonymous", credentials=anonymous, **options), True
    path = pathlib.Path(key_file)
    if not path.is_file():
        raise errors.CredentialsMissing(
            f"GOOGLE_APPLICATION_CREDENTIALS names {key_file}, which is not a file; mount the service-account key there"
        )
    try:
        info = json.loads(path.read_text())
        return storage.Client.from_service_account_info(info, **options), False
    except (OSError, ValueError, KeyError, google.auth.exceptions.GoogleAuthError) as error:
        raise errors.CredentialsMissing(
            f"GOOGLE_APPLICATION_CREDENTIALS file {key_file} is not a usable service-account key: {error}"
        ) from None


class GcsStore:
    def __init__(self, location: uris.Location, *, env: Mapping[str, str]) -> None:
        self._location = location
        self._client, self._anonymous = make_client(env)
        self._bucket = self._client.bucket(location.container)

    def list_objects(self) -> list[fingerprints.RemoteObject]:
        path, uri = self._location.path, self._location.uri
        with self._errors():
            if path and not path.endswith("/"):
                blob = self._bucket.get_blob(path)
                if blob is not None:
                    name = stores.relative_name(path.rpartition("/")[2], prefix="", uri=uri)
                    return [self._object(blob, name)]
            prefix = stores.prefix_of(path)
            found = [
                self._object(blob, stores.relative_name(blob.name, prefix=prefix, uri=uri))
                for blob in self._client.list_blobs(self._bucket, prefix=prefix)
                if not blob.name.endswith("/")
            ]
        if not found:
            raise errors.SourceNotFound(
                f"{uri}: no object and no objects below it in bucket {self._location.container!r}"
            )
        return found

    @staticmethod
    def _object(blob: storage.Blob, name: str) -> fingerprints.RemoteObject:
        version = f"generation {blob.generation}" if blob.generation else ""
        return fingerprints.RemoteObject(
            key=blob.name, name=name, size=blob.size, version=version, content_type=blob.content_type or ""
        )

    def download(self, item: fingerprints.RemoteObject, path: pathlib.Path, report: progress.Progress) -> None:
        generation = int(item.version.split()[1]) if item.version else None
        with self._errors(), open(path, "wb") as sink:
            blob = self._bucket.blob(item.key, generation=generation)
            blob.download_to_file(progress.CountingWriter(sink, report))

    def close(self) -> None:
        self._client.close()

    def _errors(self) -> _GcsErrors:
        return _GcsErrors(self._location, anonymous=self._anonymous)


class _GcsErrors:
    """Turns google-cloud-storage's exceptions into storage errors with a one-line, actionable message."""

    def __init__(self, location: uris.Location, *, anonymous: bool) -> None:
        self._location = location
        self._anonymous = anonymous

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, _trace: object) -> None:
        uri = self._location.uri
        if isinstance(error, google_errors.Forbidden | google_errors.Unauthorized):
            hint = (
                "no GOOGLE_APPLICATION_CREDENTIALS is set and anonymous access was refused; mount a service-account key"
                if self._anonymous
                else "the service account lacks storage.objects.get / storage.objects.list on the bucket"
            )
            raise errors.AccessDenied(f"{uri}: access denied (HTTP {error.code}); {hint}") from None
        if isinstance(error, google_errors.NotFound):
            raise errors.SourceNotFound(f"{uri}: not found (no such bucket or object)") from None
        if isinstance(error, google_errors.GoogleAPICallError):
            raise errors.DownloadFailed(f"{uri}: GCS error: {error.message}") from None
        if isinstance(error, google.auth.exceptions.GoogleAuthError):
            raise errors.CredentialsMissing(f"{uri}: cannot authenticate: {error}") from None
        if isinstance(error, google_errors.RetryError | requests.RequestException):
            raise errors.DownloadFailed(f"{uri}: {error}") from None


def open_store(location: uris.Location, *, env: Mapping[str, str]) -> GcsStore:
    return GcsStore(location, env=env)
