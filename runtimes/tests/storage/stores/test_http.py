"""Covers stores.http through the initializer against real HTTP and HTTPS servers on 127.0.0.1: a plain file, tar.gz
and zip archives (by suffix and by content type), a server refusing HEAD (downloaded, not cached), headers from
STORAGE_HTTP_HEADERS, 401/403/404/500 mapped to clear errors, a self-signed certificate trusted through SSL_CERT_FILE
(and refused without it), a server that is down, and bad STORAGE_HTTP_HEADERS."""

from __future__ import annotations

import json
import pathlib

import pytest
from modelplane.runtime.storage import errors

from runtimes.tests.storage import helpers
from runtimes.tests.storage.conftest import Certificate, Web, WebFile, free_port

IRIS = {"model.joblib": b"joblib-bytes", "meta/info.json": b'{"name": "iris"}'}


def test_plain_file(web: Web, tmp_path: pathlib.Path) -> None:
    web.files["/models/model.joblib"] = WebFile(b"joblib-bytes")
    helpers.fetch(f"{web.url}/models/model.joblib", tmp_path / "out")
    assert helpers.tree(tmp_path / "out") == {"model.joblib": b"joblib-bytes"}


@pytest.mark.parametrize(
    ("path", "body", "content_type"),
    [
        pytest.param(
            "/iris.tar.gz",
            helpers.tar_gz(IRIS),
            "application/octet-stream",
            id="tar-gz",
        ),
        pytest.param("/iris.tgz", helpers.tar_gz(IRIS), "application/octet-stream", id="tgz"),
        pytest.param("/iris.zip", helpers.zipped(IRIS), "application/octet-stream", id="zip"),
        pytest.param(
            "/download?id=7",
            helpers.zipped(IRIS),
            "application/zip",
            id="zip-by-content-type",
        ),
    ],
)
def test_archives_are_unpacked(web: Web, tmp_path: pathlib.Path, path: str, body: bytes, content_type: str) -> None:
    web.files[path] = WebFile(body, content_type=content_type)
    helpers.fetch(f"{web.url}{path}", tmp_path / "out")
    assert helpers.tree(tmp_path / "out") == IRIS


@pytest.mark.parametrize("head_status", [403, 405], ids=["presigned-url-style-403", "head-not-allowed"])
def test_server_refusing_head_is_downloaded_uncached(web: Web, tmp_path: pathlib.Path, head_status: int) -> None:
    web.files["/m.bin"] = WebFile(b"model")
    web.head_statuses["/m.bin"] = head_status
    printed = helpers.fetch(f"{web.url}/m.bin", tmp_path / "out", cache_dir=tmp_path / "cache")
    assert helpers.tree(tmp_path / "out") == {"m.bin": b"model"}
    assert "not caching" in printed


def test_headers_from_storage_http_headers(web: Web, tmp_path: pathlib.Path) -> None:
    web.files["/m.bin"] = WebFile(b"secret model")
    web.required_header = ("Authorization", "Bearer t0ken")
    env = {"STORAGE_HTTP_HEADERS": json.dumps({"Authorization": "Bearer t0ken"})}
    helpers.fetch(f"{web.url}/m.bin", tmp_path / "out", env=env)
    assert helpers.tree(tmp_path / "out") == {"m.bin": b"secret model"}


@pytest.mark.parametrize(
    ("status", "error", "message"),
    [
        pytest.param(401, errors.AccessDenied, "HTTP 401; the server refused access", id="401"),
        pytest.param(403, errors.AccessDenied, "HTTP 403; the server refused access", id="403"),
        pytest.param(404, errors.SourceNotFound, "HTTP 404; nothing at that URL", id="404"),
        pytest.param(500, errors.DownloadFailed, "HTTP 500 Internal Server Error", id="500"),
    ],
)
def test_error_statuses(
    web: Web,
    tmp_path: pathlib.Path,
    status: int,
    error: type[errors.StorageError],
    message: str,
) -> None:
    web.statuses["/m.bin"] = status
    with pytest.raises(error, match=message):
        helpers.fetch(f"{web.url}/m.bin", tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_https_with_a_self_signed_certificate_trusted_by_env(
    secure_web: Web, certificate: Certificate, tmp_path: pathlib.Path
) -> None:
    secure_web.files["/m.bin"] = WebFile(b"over tls")
    helpers.fetch(
        f"{secure_web.url}/m.bin",
        tmp_path / "out",
        env={"SSL_CERT_FILE": str(certificate.cert_file)},
    )
    assert helpers.tree(tmp_path / "out") == {"m.bin": b"over tls"}


def test_https_untrusted_certificate_is_a_clear_error(secure_web: Web, tmp_path: pathlib.Path) -> None:
    secure_web.files["/m.bin"] = WebFile(b"over tls")
    with pytest.raises(errors.DownloadFailed, match=r"TLS certificate not trusted.*set SSL_CERT_FILE"):
        helpers.fetch(f"{secure_web.url}/m.bin", tmp_path / "out")


def test_server_down(tmp_path: pathlib.Path) -> None:
    with pytest.raises(errors.DownloadFailed, match="ConnectError"):
        helpers.fetch(f"http://127.0.0.1:{free_port()}/m.bin", tmp_path / "out")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("{not json", "STORAGE_HTTP_HEADERS is not valid JSON", id="not-json"),
        pytest.param('["a"]', "must be a JSON object of strings", id="not-object"),
        pytest.param('{"a": 1}', "must be a JSON object of strings", id="not-strings"),
    ],
)
def test_bad_storage_http_headers(web: Web, tmp_path: pathlib.Path, value: str, message: str) -> None:
    with pytest.raises(errors.InvalidSetting, match=message):
        helpers.fetch(f"{web.url}/m.bin", tmp_path / "out", env={"STORAGE_HTTP_HEADERS": value})
