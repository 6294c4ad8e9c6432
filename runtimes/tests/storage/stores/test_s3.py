"""Covers stores.s3 through the initializer against moto's S3 server on 127.0.0.1: a prefix (and that a sibling
prefix sharing its start is left out), a single object, a tar.gz object unpacked, the S3_ENDPOINT + S3_USE_HTTPS=0
form, an object in a versioned bucket (downloaded by its VersionId, one cache entry per version), a missing bucket
and a missing prefix, anonymous requests without credentials (a public bucket reads, a private one says what to
set), an object key with `..` refused, half-given credentials, and keys the server refuses (403)."""

from __future__ import annotations

import logging
import pathlib

import boto3
import httpx
import pytest
from modelplane.runtime.storage import errors

from runtimes.tests.storage import helpers
from runtimes.tests.storage.conftest import S3Server


def put(
    server: S3Server,
    objects: dict[str, bytes],
    *,
    bucket: str = "models",
    acl: str = "private",
) -> None:
    client = boto3.client(
        "s3",
        endpoint_url=server.endpoint,
        aws_access_key_id=server.env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=server.env["AWS_SECRET_ACCESS_KEY"],
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=bucket, ACL=acl)
    for key, body in objects.items():
        client.put_object(Bucket=bucket, Key=key, Body=body, ACL=acl)
    client.close()


def test_prefix_downloads_everything_below_it(s3_server: S3Server, tmp_path: pathlib.Path) -> None:
    put(
        s3_server,
        {
            "iris/model.joblib": b"m",
            "iris/meta/info.json": b"{}",
            "iris-old/model.joblib": b"old",
        },
    )
    helpers.fetch("s3://models/iris", tmp_path / "out", env=s3_server.env)
    assert helpers.tree(tmp_path / "out") == {
        "model.joblib": b"m",
        "meta/info.json": b"{}",
    }


def test_single_object(s3_server: S3Server, tmp_path: pathlib.Path) -> None:
    put(s3_server, {"iris/model.joblib": b"m", "iris/other.bin": b"o"})
    helpers.fetch("s3://models/iris/model.joblib", tmp_path / "out", env=s3_server.env)
    assert helpers.tree(tmp_path / "out") == {"model.joblib": b"m"}


def test_archive_object_is_unpacked(s3_server: S3Server, tmp_path: pathlib.Path) -> None:
    put(
        s3_server,
        {"iris.tar.gz": helpers.tar_gz({"model.joblib": b"m", "a/b.txt": b"b"})},
    )
    helpers.fetch("s3://models/iris.tar.gz", tmp_path / "out", env=s3_server.env)
    assert helpers.tree(tmp_path / "out") == {"model.joblib": b"m", "a/b.txt": b"b"}


def test_versioned_object_is_pinned_to_its_version_and_cached_per_version(
    s3_server: S3Server, tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    put(s3_server, {})
    client = boto3.client(
        "s3",
        region_name="us-east-1",
        **{
            "endpoint_url": s3_server.endpoint,
            "aws_access_key_id": s3_server.env["AWS_ACCESS_KEY_ID"],
            "aws_secret_access_key": s3_server.env["AWS_SECRET_ACCESS_KEY"],
        },
    )
    client.put_bucket_versioning(Bucket="models", VersioningConfiguration={"Status": "Enabled"})
    client.put_object(Bucket="models", Key="iris/model.joblib", Body=b"v1")
    cache = tmp_path / "cache"
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        helpers.fetch("s3://models/iris/model.joblib", tmp_path / "a", env=s3_server.env, cache_dir=cache)
    assert "GET /models/iris/model.joblib?versionId=" in caplog.text
    client.put_object(Bucket="models", Key="iris/model.joblib", Body=b"v2")
    client.close()
    helpers.fetch("s3://models/iris/model.joblib", tmp_path / "b", env=s3_server.env, cache_dir=cache)
    assert helpers.tree(tmp_path / "a") == {"model.joblib": b"v1"}
    assert helpers.tree(tmp_path / "b") == {"model.joblib": b"v2"}
    assert len(list((cache / "entries").iterdir())) == 2


def test_s3_endpoint_with_use_https_off(s3_server: S3Server, tmp_path: pathlib.Path) -> None:
    put(s3_server, {"iris/model.joblib": b"m"})
    env = {key: value for key, value in s3_server.env.items() if key != "AWS_ENDPOINT_URL"}
    env |= {
        "S3_ENDPOINT": s3_server.endpoint.removeprefix("http://"),
        "S3_USE_HTTPS": "0",
    }
    helpers.fetch("s3://models/iris", tmp_path / "out", env=env)
    assert helpers.tree(tmp_path / "out") == {"model.joblib": b"m"}


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        pytest.param(
            "s3://no-such-bucket/iris",
            r"s3://no-such-bucket/iris: not found \(NoSuchBucket\)",
            id="bucket",
        ),
        pytest.param(
            "s3://models/absent",
            "no object and no objects below it in bucket 'models'",
            id="prefix",
        ),
    ],
)
def test_not_found(s3_server: S3Server, tmp_path: pathlib.Path, uri: str, message: str) -> None:
    put(s3_server, {"iris/model.joblib": b"m"})
    with pytest.raises(errors.SourceNotFound, match=message):
        helpers.fetch(uri, tmp_path / "out", env=s3_server.env)


def test_no_credentials_reads_a_public_bucket(s3_server: S3Server, tmp_path: pathlib.Path) -> None:
    put(s3_server, {"iris/model.joblib": b"m"}, acl="public-read")
    helpers.fetch(
        "s3://models/iris",
        tmp_path / "out",
        env={"AWS_ENDPOINT_URL": s3_server.endpoint},
    )
    assert helpers.tree(tmp_path / "out") == {"model.joblib": b"m"}


def test_no_credentials_on_a_private_bucket_says_what_to_set(s3_server: S3Server, tmp_path: pathlib.Path) -> None:
    put(s3_server, {"iris/model.joblib": b"m"})
    with pytest.raises(
        errors.AccessDenied,
        match="no AWS credentials are set and anonymous access was refused; set",
    ):
        helpers.fetch(
            "s3://models/iris",
            tmp_path / "out",
            env={"AWS_ENDPOINT_URL": s3_server.endpoint},
        )


def test_object_key_climbing_out_is_refused(s3_server: S3Server, tmp_path: pathlib.Path) -> None:
    put(s3_server, {"iris/model.joblib": b"m", "iris/../../escape.txt": b"x"})
    with pytest.raises(errors.UnsafeContent, match=r"object 'iris/\.\./\.\./escape\.txt'|contains '\.\.'"):
        helpers.fetch("s3://models/iris", tmp_path / "dest" / "out", env=s3_server.env)
    assert not (tmp_path / "escape.txt").exists()
    assert list((tmp_path / "dest" / "out").iterdir()) == []


def test_half_given_credentials(s3_server: S3Server, tmp_path: pathlib.Path) -> None:
    env = {key: value for key, value in s3_server.env.items() if key != "AWS_SECRET_ACCESS_KEY"}
    with pytest.raises(
        errors.CredentialsMissing,
        match="AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not",
    ):
        helpers.fetch("s3://models/iris", tmp_path / "out", env=env)


def test_refused_keys_are_access_denied(s3_server: S3Server, tmp_path: pathlib.Path) -> None:
    put(s3_server, {"iris/model.joblib": b"m"})
    # moto checks credentials only once told to: from now on, every request must carry a key it issued.
    httpx.post(f"{s3_server.endpoint}/moto-api/reset-auth", content=b"0").raise_for_status()
    try:
        with pytest.raises(errors.AccessDenied, match=r"access denied \(403\); check AWS_ACCESS_KEY_ID"):
            helpers.fetch("s3://models/iris", tmp_path / "out", env=s3_server.env)
    finally:
        httpx.post(f"{s3_server.endpoint}/moto-api/reset-auth", content=b"inf").raise_for_status()
