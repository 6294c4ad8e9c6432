"""HTTP(S) sources: one file per URL, fetched with httpx; the version token is the ETag (or Last-Modified + size).

A HEAD request learns the version token (for the cache) and the content type; a server that refuses HEAD is still
downloaded, just not cached.

Extra request headers (a bearer token, a cookie) come from `STORAGE_HTTP_HEADERS`, a JSON object. TLS verifies
against `SSL_CERT_FILE` / `SSL_CERT_DIR` when set (a private CA), else the system's CA bundle.
"""

from __future__ import annotations

import json
import pathlib
import ssl
from collections.abc import Mapping

import httpx
from modelplane.runtime.storage import errors, fingerprints, progress, uris

_CHUNK = 1024 * 1024


def headers_from(env: Mapping[str, str]) -> dict[str, str]:
    """The extra request headers in `STORAGE_HTTP_HEADERS`, or InvalidSetting saying what is wrong with them."""
    text = env.get("STORAGE_HTTP_HEADERS", "").strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise errors.InvalidSetting(
            f"STORAGE_HTTP_HEADERS is not valid JSON ({error.msg}); give a JSON object"
        ) from None
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise errors.InvalidSetting(
            'STORAGE_HTTP_HEADERS must be a JSON object of strings, e.g. {"Authorization": "…"}'
        )
    return value


def tls_context(env: Mapping[str, str]) -> ssl.SSLContext:
    cafile, capath = env.get("SSL_CERT_FILE") or None, env.get("SSL_CERT_DIR") or None
    try:
        return ssl.create_default_context(cafile=cafile, capath=capath)
    except (OSError, ssl.SSLError) as error:
        raise errors.InvalidSetting(f"SSL_CERT_FILE / SSL_CERT_DIR cannot be loaded: {error}") from None


def check_status(response: httpx.Response, *, uri: str) -> None:
    """Map an HTTP error status to the storage error a user can act on."""
    status = response.status_code
    if status in (401, 403):
        raise errors.AccessDenied(
            f"{uri}: HTTP {status}; the server refused access (set credentials in STORAGE_HTTP_HEADERS if it needs any)"
        )
    if status == 404:
        raise errors.SourceNotFound(f"{uri}: HTTP 404; nothing at that URL")
    if status >= 400:
        raise errors.DownloadFailed(f"{uri}: HTTP {status} {response.reason_phrase}")


class HttpStore:
    def __init__(self, location: uris.Location, *, env: Mapping[str, str]) -> None:
        self._location = location
        self._client = httpx.Client(
            headers=headers_from(env), verify=tls_context(env), follow_redirects=True, timeout=60.0, trust_env=False
        )

    def list_objects(self) -> list[fingerprints.RemoteObject]:
        uri = self._location.uri
        name = self._location.basename or "model"
        try:
            response = self._client.head(uri)
        except httpx.HTTPError as error:
            raise errors.DownloadFailed(f"{uri}: {describe(error)}") from None
        if not response.is_success:
            # Some servers refuse HEAD where GET works (405, or 403 on a pre-signed GET URL): download without a
            # version token, and let the GET report any real error.
            return [fingerprints.RemoteObject(key=uri, name=name)]
        etag = response.headers.get("etag", "")
        modified = response.headers.get("last-modified", "")
        length = response.headers.get("content-length")
        size = int(length) if length and length.isdigit() else None
        version = f"etag {etag}" if etag else (f"modified {modified} size {size}" if modified else "")
        content_type = response.headers.get("content-type", "")
        return [fingerprints.RemoteObject(key=uri, name=name, size=size, version=version, content_type=content_type)]

    def download(self, item: fingerprints.RemoteObject, path: pathlib.Path, report: progress.Progress) -> None:
        try:
            with self._client.stream("GET", item.key) as response, open(path, "wb") as sink:
                check_status(response, uri=item.key)
                for chunk in response.iter_bytes(_CHUNK):
                    sink.write(chunk)
                    report.advance(len(chunk))
        except httpx.HTTPError as error:
            raise errors.DownloadFailed(f"{item.key}: {describe(error)}") from None

    def close(self) -> None:
        self._client.close()


def describe(error: httpx.HTTPError) -> str:
    """A one-line account of a transport error (an untrusted TLS certificate says so, with the usual fix)."""
    text = str(error) or type(error).__name__
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return f"TLS certificate not trusted ({text}); set SSL_CERT_FILE to the CA bundle that signed it"
    return f"{type(error).__name__}: {text}"


def open_store(location: uris.Location, *, env: Mapping[str, str]) -> HttpStore:
    return HttpStore(location, env=env)
