"""Covers storage.uris: every accepted form (local path, file://, http(s), s3, gs, Azure blob) parsed into its parts,
basenames, and clear errors for empty URIs, unknown schemes, pvc://, and missing hosts, buckets or containers."""

from __future__ import annotations

import pytest
from modelplane.runtime.storage import errors, uris

Loc, Scheme = uris.Location, uris.Scheme


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        pytest.param(
            "/mnt/pvc/iris",
            Loc("/mnt/pvc/iris", Scheme.LOCAL, path="/mnt/pvc/iris"),
            id="abs",
        ),
        pytest.param(
            "models/iris",
            Loc("models/iris", Scheme.LOCAL, path="models/iris"),
            id="rel",
        ),
        pytest.param(
            "file:///mnt/my%20models",
            Loc("file:///mnt/my%20models", Scheme.LOCAL, path="/mnt/my models"),
            id="file",
        ),
        pytest.param("http://h:8000/m.tgz", Loc("http://h:8000/m.tgz", Scheme.HTTP), id="http"),
        pytest.param(
            "https://example.com/blob.core.windows.net/x",
            Loc("https://example.com/blob.core.windows.net/x", Scheme.HTTP),
            id="https-not-azure",
        ),
        pytest.param(
            "s3://bucket/models/iris/",
            Loc(
                "s3://bucket/models/iris/",
                Scheme.S3,
                path="models/iris/",
                container="bucket",
            ),
            id="s3",
        ),
        pytest.param(
            "gs://b.k-1/x",
            Loc("gs://b.k-1/x", Scheme.GCS, path="x", container="b.k-1"),
            id="gs",
        ),
        pytest.param(
            "s3://bucket",
            Loc("s3://bucket", Scheme.S3, container="bucket"),
            id="s3-whole-bucket",
        ),
        pytest.param(
            "https://acct1.blob.core.windows.net/models/iris/v1",
            Loc(
                "https://acct1.blob.core.windows.net/models/iris/v1",
                Scheme.AZURE,
                path="iris/v1",
                container="models",
                account="acct1",
            ),
            id="azure",
        ),
    ],
)
def test_parse(uri: str, expected: uris.Location) -> None:
    assert uris.parse(uri) == expected


@pytest.mark.parametrize(
    ("uri", "basename"),
    [
        pytest.param("http://h/dir/iris.tar.gz?sig=1", "iris.tar.gz", id="http-query"),
        pytest.param("http://h/a%20b.bin", "a b.bin", id="http-quoted"),
        pytest.param("s3://bkt/models/iris/", "iris", id="s3-folder"),
        pytest.param("/mnt/models/model.joblib", "model.joblib", id="local"),
    ],
)
def test_basename(uri: str, basename: str) -> None:
    assert uris.parse(uri).basename == basename


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        pytest.param("  ", "the source URI is empty", id="empty"),
        pytest.param("ftp://h/x", "has scheme 'ftp', which is not served", id="ftp"),
        pytest.param("pvc://claim/path", "pvc:// sources are mounted by the controller", id="pvc"),
        pytest.param("http:///x", "has no host", id="http-no-host"),
        pytest.param("s3:///x", "has no bucket", id="s3-no-bucket"),
        pytest.param("gs://UPPER/x", "'UPPER' is not a valid bucket name", id="gs-bad-bucket"),
        pytest.param("file://server/share", "names host 'server'", id="file-host"),
        pytest.param(
            "https://acct1.blob.core.windows.net/",
            "names no container",
            id="azure-no-container",
        ),
    ],
)
def test_invalid(uri: str, message: str) -> None:
    with pytest.raises(errors.InvalidUri) as caught:
        uris.parse(uri)
    assert message in str(caught.value)
    assert caught.value.exit_code == 2
