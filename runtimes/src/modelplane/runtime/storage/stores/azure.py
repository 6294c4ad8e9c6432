"""Azure blob storage sources (`https://<account>.blob.core.windows.net/<container>/<path>`) through azure-storage-blob.

Credentials, first match wins: `AZURE_STORAGE_CONNECTION_STRING` (also the way to reach another endpoint: Azurite, a
sovereign cloud, Azure Stack; its AccountName must match the URI's account); `AZURE_STORAGE_ACCESS_KEY` (shared key
for the URI's account); `AZURE_CLIENT_ID` + `AZURE_CLIENT_SECRET` + `AZURE_TENANT_ID` (a service principal, through
azure-identity); none of them: anonymous, for public containers. The version token is the blob's ETag, and each
download asks for exactly that ETag.
"""

from __future__ import annotations

import pathlib
from collections.abc import Mapping
from typing import Any

import azure.core.exceptions as azure_errors
from azure.core import MatchConditions
from azure.storage.blob import BlobServiceClient, ContainerClient
from modelplane.runtime.storage import errors, fingerprints, progress, stores, uris

_PRINCIPAL = ("AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID")


def _connection_string_account(text: str) -> str:
    fields = dict(part.split("=", 1) for part in text.split(";") if "=" in part)
    return fields.get("AccountName", "")


def make_service(location: uris.Location, *, env: Mapping[str, str]) -> tuple[BlobServiceClient, bool]:
    """A client for the URI's account with the credentials the environment gives, and whether it is anonymous."""
    account_url = f"https://{location.account}.blob.core.windows.net"
    connection_string = env.get("AZURE_STORAGE_CONNECTION_STRING", "")
    if connection_string:
        named = _connection_string_account(connection_string)
        if named and named != location.account:
            raise errors.InvalidSetting(
                f"AZURE_STORAGE_CONNECTION_STRING is for account {named!r} but {location.uri} names account"
                f" {location.account!r}; make them agree"
            )
        try:
            return BlobServiceClient.from_connection_string(connection_string), False
        except ValueError as error:
            raise errors.InvalidSetting(f"AZURE_STORAGE_CONNECTION_STRING cannot be used: {error}") from None
    if env.get("AZURE_STORAGE_ACCESS_KEY"):
        credential: Any = {"account_name": location.account, "account_key": env["AZURE_STORAGE_ACCESS_KEY"]}
        return BlobServiceClient(account_url, credential=credential), False
    given = [name for name in _PRINCIPAL if env.get(name)]
    if given and len(given) < len(_PRINCIPAL):
        missing = ", ".join(name for name in _PRINCIPAL if name not in given)
        raise errors.CredentialsMissing(
            f"{', '.join(given)} set but {missing} not; a service principal needs all of {', '.join(_PRINCIPAL)}"
        )
    if given:
        from azure.identity import ClientSecretCredential

        principal = ClientSecretCredential(
            tenant_id=env["AZURE_TENANT_ID"], client_id=env["AZURE_CLIENT_ID"], client_secret=env["AZURE_CLIENT_SECRET"]
        )
        return BlobServiceClient(account_url, credential=principal), False
    return BlobServiceClient(account_url), True


class AzureStore:
    def __init__(self, location: uris.Location, *, env: Mapping[str, str]) -> None:
        self._location = location
        self._service, self._anonymous = make_service(location, env=env)
        self._container: ContainerClient = self._service.get_container_client(location.container)

    def list_objects(self) -> list[fingerprints.RemoteObject]:
        path, uri = self._location.path, self._location.uri
        with self._errors():
            if path and not path.endswith("/"):
                try:
                    properties = self._container.get_blob_client(path).get_blob_properties()
                except azure_errors.ResourceNotFoundError:
                    pass  # not one blob: list it as a folder below
                else:
                    name = stores.relative_name(path.rpartition("/")[2], prefix="", uri=uri)
                    return [self._object(properties, name)]
            prefix = stores.prefix_of(path)
            found = [
                self._object(blob, stores.relative_name(blob.name, prefix=prefix, uri=uri))
                for blob in self._container.list_blobs(name_starts_with=prefix or None)
                if not blob.name.endswith("/")
            ]
        if not found:
            raise errors.SourceNotFound(
                f"{uri}: no blob and no blobs below it in container {self._location.container!r}"
            )
        return found

    @staticmethod
    def _object(blob: Any, name: str) -> fingerprints.RemoteObject:
        content_type = blob.content_settings.content_type if blob.content_settings else ""
        return fingerprints.RemoteObject(
            key=blob.name,
            name=name,
            size=blob.size,
            version=f"etag {blob.etag}" if blob.etag else "",
            content_type=content_type or "",
        )

    def download(self, item: fingerprints.RemoteObject, path: pathlib.Path, report: progress.Progress) -> None:
        conditions: dict[str, Any] = {}
        if item.version:
            conditions = {"etag": item.version.split(" ", 1)[1], "match_condition": MatchConditions.IfNotModified}
        seen = [0]

        def hook(current: int, _total: int | None) -> None:
            report.advance(current - seen[0])
            seen[0] = current

        with self._errors(), open(path, "wb") as sink:
            self._container.download_blob(item.key, progress_hook=hook, **conditions).readinto(sink)

    def close(self) -> None:
        self._service.close()

    def _errors(self) -> _AzureErrors:
        return _AzureErrors(self._location, anonymous=self._anonymous)


class _AzureErrors:
    """Turns the Azure SDK's exceptions into storage errors with a one-line, actionable message."""

    def __init__(self, location: uris.Location, *, anonymous: bool) -> None:
        self._location = location
        self._anonymous = anonymous

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, _trace: object) -> None:
        uri = self._location.uri
        if isinstance(error, azure_errors.ResourceNotFoundError):
            raise errors.SourceNotFound(f"{uri}: not found (no such container or blob)") from None
        if isinstance(error, azure_errors.ClientAuthenticationError) or (
            isinstance(error, azure_errors.HttpResponseError) and error.status_code in (401, 403)
        ):
            hint = (
                "no Azure credentials are set and anonymous access was refused; set AZURE_STORAGE_ACCESS_KEY or a"
                " service principal (AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_TENANT_ID)"
                if self._anonymous
                else "check the account key or the service principal's role on the container"
            )
            status = getattr(error, "status_code", None) or "refused"
            raise errors.AccessDenied(f"{uri}: access denied ({status}); {hint}") from None
        if isinstance(error, azure_errors.ServiceRequestError | azure_errors.ServiceResponseError):
            raise errors.DownloadFailed(f"{uri}: cannot reach the storage account: {error}") from None
        if isinstance(error, azure_errors.AzureError):
            raise errors.DownloadFailed(f"{uri}: Azure error: {error}") from None


def open_store(location: uris.Location, *, env: Mapping[str, str]) -> AzureStore:
    return AzureStore(location, env=env)
