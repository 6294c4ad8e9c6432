"""S3 and S3-compatible sources (MinIO, Ceph, moto) through boto3, configured by KServe's environment names.

Endpoint: `AWS_ENDPOINT_URL` (a full URL), or `S3_ENDPOINT` (host[:port]) with `S3_USE_HTTPS=0` for plain HTTP.
TLS: `S3_VERIFY_SSL=0` turns verification off, `AWS_CA_BUNDLE` names a private CA. Credentials: `AWS_ACCESS_KEY_ID` +
`AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`); else a web identity (`AWS_WEB_IDENTITY_TOKEN_FILE`, as IRSA mounts)
or `AWS_PROFILE` through boto3's own chain; else anonymous requests, for public buckets. The instance metadata
service is never asked. Region: `AWS_DEFAULT_REGION` (or `AWS_REGION`). The version token is the VersionId when the
bucket is versioned and the URI names one object (the download then asks for exactly that version), else the ETag
(a prefix listing gives no VersionIds).
"""

from __future__ import annotations

import pathlib
from collections.abc import Mapping
from typing import Any

import boto3
import botocore.config
import botocore.exceptions
from botocore import UNSIGNED
from modelplane.runtime.storage import errors, fingerprints, progress, stores, uris

_DENIED = {"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AllAccessDisabled", "InvalidToken"}
_CREDENTIAL_SOURCES = ("AWS_ACCESS_KEY_ID", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_PROFILE")
_MISSING = {"404", "NoSuchKey", "NoSuchBucket", "NotFound"}


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "1").strip().lower() not in ("0", "false", "no", "off")


def client_arguments(env: Mapping[str, str]) -> dict[str, Any]:
    """The keyword arguments of `boto3.client("s3", ...)` that the environment asks for."""
    arguments: dict[str, Any] = {}
    endpoint = env.get("AWS_ENDPOINT_URL") or env.get("AWS_ENDPOINT_URL_S3")
    if not endpoint and env.get("S3_ENDPOINT"):
        scheme = "https" if _flag(env, "S3_USE_HTTPS") else "http"
        endpoint = f"{scheme}://{env['S3_ENDPOINT']}"
    if endpoint:
        arguments["endpoint_url"] = endpoint
    region = env.get("AWS_DEFAULT_REGION") or env.get("AWS_REGION")
    if region:
        arguments["region_name"] = region
    if not _flag(env, "S3_VERIFY_SSL"):
        arguments["verify"] = False
    elif env.get("AWS_CA_BUNDLE"):
        arguments["verify"] = env["AWS_CA_BUNDLE"]
    key_id, secret = env.get("AWS_ACCESS_KEY_ID", ""), env.get("AWS_SECRET_ACCESS_KEY", "")
    if bool(key_id) != bool(secret):
        given, missing = (
            ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY") if key_id else ("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID")
        )
        raise errors.CredentialsMissing(
            f"{given} is set but {missing} is not; set both, or neither for a public bucket"
        )
    config: dict[str, Any] = {"retries": {"max_attempts": 3, "mode": "standard"}}
    if key_id:
        arguments["aws_access_key_id"] = key_id
        arguments["aws_secret_access_key"] = secret
        if env.get("AWS_SESSION_TOKEN"):
            arguments["aws_session_token"] = env["AWS_SESSION_TOKEN"]
    elif not any(env.get(name) for name in _CREDENTIAL_SOURCES):
        config["signature_version"] = UNSIGNED
    arguments["config"] = botocore.config.Config(**config)
    return arguments


class S3Store:
    def __init__(self, location: uris.Location, *, env: Mapping[str, str]) -> None:
        self._location = location
        self._anonymous = not (
            env.get("AWS_ACCESS_KEY_ID") or env.get("AWS_WEB_IDENTITY_TOKEN_FILE") or env.get("AWS_PROFILE")
        )
        self._client = boto3.session.Session().client("s3", **client_arguments(env))

    def list_objects(self) -> list[fingerprints.RemoteObject]:
        bucket, path, uri = self._location.container, self._location.path, self._location.uri
        with self._errors():
            if path and not path.endswith("/"):
                try:
                    head = self._client.head_object(Bucket=bucket, Key=path)
                except botocore.exceptions.ClientError as error:
                    if _code(error) not in _MISSING:
                        raise
                else:
                    name = stores.relative_name(
                        path, prefix=path.rpartition("/")[0] + "/" if "/" in path else "", uri=uri
                    )
                    return [self._object(path, name, head["ContentLength"], head.get("VersionId"), head.get("ETag"))]
            prefix = stores.prefix_of(path)
            found = []
            for page in self._client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                for entry in page.get("Contents", []):
                    if entry["Key"].endswith("/"):
                        continue  # a "folder" marker, not content
                    name = stores.relative_name(entry["Key"], prefix=prefix, uri=uri)
                    found.append(self._object(entry["Key"], name, entry["Size"], None, entry.get("ETag")))
        if not found:
            raise errors.SourceNotFound(f"{uri}: no object and no objects below it in bucket {bucket!r}")
        return found

    @staticmethod
    def _object(key: str, name: str, size: int, version_id: str | None, etag: str | None) -> fingerprints.RemoteObject:
        version = f"etag {etag}" if etag else ""
        if version_id and version_id != "null":
            version = f"version {version_id}"
        return fingerprints.RemoteObject(key=key, name=name, size=size, version=version)

    def download(self, item: fingerprints.RemoteObject, path: pathlib.Path, report: progress.Progress) -> None:
        pinned = {"VersionId": item.version.removeprefix("version ")} if item.version.startswith("version ") else {}
        with self._errors():
            self._client.download_file(
                self._location.container, item.key, str(path), ExtraArgs=pinned or None, Callback=report.advance
            )

    def close(self) -> None:
        self._client.close()

    def _errors(self) -> _S3Errors:
        return _S3Errors(self._location, anonymous=self._anonymous)


def _code(error: botocore.exceptions.ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class _S3Errors:
    """Turns boto3's exceptions into storage errors with a one-line, actionable message."""

    def __init__(self, location: uris.Location, *, anonymous: bool) -> None:
        self._location = location
        self._anonymous = anonymous

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, _trace: object) -> None:
        uri = self._location.uri
        if isinstance(error, botocore.exceptions.ClientError):
            code = _code(error)
            if code in _DENIED:
                hint = (
                    "no AWS credentials are set and anonymous access was refused; set AWS_ACCESS_KEY_ID and"
                    " AWS_SECRET_ACCESS_KEY"
                    if self._anonymous
                    else "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and the bucket policy"
                )
                raise errors.AccessDenied(f"{uri}: access denied ({code}); {hint}") from None
            if code in _MISSING:
                raise errors.SourceNotFound(f"{uri}: not found ({code})") from None
            raise errors.DownloadFailed(f"{uri}: S3 error {code}: {error}") from None
        if isinstance(error, botocore.exceptions.NoCredentialsError | botocore.exceptions.PartialCredentialsError):
            raise errors.CredentialsMissing(f"{uri}: {error}") from None
        if isinstance(error, botocore.exceptions.BotoCoreError):
            raise errors.DownloadFailed(f"{uri}: {error}") from None


def open_store(location: uris.Location, *, env: Mapping[str, str]) -> S3Store:
    return S3Store(location, env=env)
