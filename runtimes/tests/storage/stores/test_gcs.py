"""Covers stores.gcs through the initializer against gcp-storage-emulator on 127.0.0.1 (reached through
STORAGE_EMULATOR_HOST): a prefix (without its sibling), a single object, a zip object unpacked, a missing bucket and
prefix, and GOOGLE_APPLICATION_CREDENTIALS naming a missing or unusable key file."""

from __future__ import annotations

import pathlib

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage
from modelplane.runtime.storage import errors

from runtimes.tests.storage import helpers
from runtimes.tests.storage.conftest import GcsServer


def put(server: GcsServer, objects: dict[str, bytes], *, bucket: str = "models") -> None:
    client = storage.Client(
        project="test",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": server.endpoint},
    )
    target = client.create_bucket(bucket)
    for name, body in objects.items():
        target.blob(name).upload_from_string(body)
    client.close()


def test_prefix_downloads_everything_below_it(gcs_server: GcsServer, tmp_path: pathlib.Path) -> None:
    put(
        gcs_server,
        {
            "iris/model.joblib": b"m",
            "iris/meta/info.json": b"{}",
            "iris-old/model.joblib": b"old",
        },
    )
    helpers.fetch("gs://models/iris/", tmp_path / "out", env=gcs_server.env)
    assert helpers.tree(tmp_path / "out") == {
        "model.joblib": b"m",
        "meta/info.json": b"{}",
    }


def test_single_object(gcs_server: GcsServer, tmp_path: pathlib.Path) -> None:
    put(gcs_server, {"iris/model.bst": b"xgb", "iris/other": b"o"})
    helpers.fetch("gs://models/iris/model.bst", tmp_path / "out", env=gcs_server.env)
    assert helpers.tree(tmp_path / "out") == {"model.bst": b"xgb"}


def test_archive_object_is_unpacked(gcs_server: GcsServer, tmp_path: pathlib.Path) -> None:
    put(
        gcs_server,
        {"iris.zip": helpers.zipped({"model.onnx": b"onnx", "labels/x.txt": b"x"})},
    )
    helpers.fetch("gs://models/iris.zip", tmp_path / "out", env=gcs_server.env)
    assert helpers.tree(tmp_path / "out") == {
        "model.onnx": b"onnx",
        "labels/x.txt": b"x",
    }


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        pytest.param("gs://no-such-bucket/iris", "not found", id="bucket"),
        pytest.param(
            "gs://models/absent",
            "no object and no objects below it in bucket 'models'",
            id="prefix",
        ),
    ],
)
def test_not_found(gcs_server: GcsServer, tmp_path: pathlib.Path, uri: str, message: str) -> None:
    put(gcs_server, {"iris/model.joblib": b"m"})
    with pytest.raises(errors.SourceNotFound, match=message):
        helpers.fetch(uri, tmp_path / "out", env=gcs_server.env)


def test_missing_key_file(gcs_server: GcsServer, tmp_path: pathlib.Path) -> None:
    env = gcs_server.env | {"GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "absent.json")}
    with pytest.raises(errors.CredentialsMissing, match=r"absent\.json, which is not a file"):
        helpers.fetch("gs://models/iris", tmp_path / "out", env=env)


def test_unusable_key_file(gcs_server: GcsServer, tmp_path: pathlib.Path) -> None:
    key_file = tmp_path / "key.json"
    key_file.write_text('{"type": "service_account"}')
    env = gcs_server.env | {"GOOGLE_APPLICATION_CREDENTIALS": str(key_file)}
    with pytest.raises(errors.CredentialsMissing, match="is not a usable service-account key"):
        helpers.fetch("gs://models/iris", tmp_path / "out", env=env)
