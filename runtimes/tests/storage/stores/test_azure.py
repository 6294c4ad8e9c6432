"""Covers stores.azure through the initializer against Azurite on 127.0.0.1, with a storage account and key made up
per test and reached through AZURE_STORAGE_CONNECTION_STRING: a prefix (without its sibling), a single blob, a tar.gz
blob unpacked, a missing container and prefix, a wrong account key (403), a connection string for another account,
and a half-given service principal."""

from __future__ import annotations

import pathlib
import uuid

import pytest
from azure.storage.blob import BlobServiceClient
from modelplane.runtime.storage import errors

from runtimes.tests.storage import helpers
from runtimes.tests.storage.conftest import Azurite


@pytest.fixture
def container(azurite: Azurite) -> str:
    """A fresh, empty container for one test (the Azurite server is shared by the module)."""
    name = f"models-{uuid.uuid4().hex[:12]}"
    with BlobServiceClient.from_connection_string(azurite.connection_string()) as service:
        service.create_container(name)
    return name


def put(server: Azurite, container: str, blobs: dict[str, bytes]) -> None:
    with BlobServiceClient.from_connection_string(server.connection_string()) as service:
        client = service.get_container_client(container)
        for name, body in blobs.items():
            client.upload_blob(name, body)


def uri(server: Azurite, path: str) -> str:
    return f"https://{server.account}.blob.core.windows.net/{path}"


def env_for(server: Azurite, *, key: str | None = None) -> dict[str, str]:
    return {"AZURE_STORAGE_CONNECTION_STRING": server.connection_string(key=key)}


def test_prefix_downloads_everything_below_it(azurite: Azurite, container: str, tmp_path: pathlib.Path) -> None:
    put(
        azurite,
        container,
        {
            "iris/model.joblib": b"m",
            "iris/meta/info.json": b"{}",
            "iris-old/model.joblib": b"old",
        },
    )
    helpers.fetch(uri(azurite, f"{container}/iris"), tmp_path / "out", env=env_for(azurite))
    assert helpers.tree(tmp_path / "out") == {
        "model.joblib": b"m",
        "meta/info.json": b"{}",
    }


def test_single_blob(azurite: Azurite, container: str, tmp_path: pathlib.Path) -> None:
    put(azurite, container, {"iris/model.txt": b"lgbm", "iris/other": b"o"})
    helpers.fetch(
        uri(azurite, f"{container}/iris/model.txt"),
        tmp_path / "out",
        env=env_for(azurite),
    )
    assert helpers.tree(tmp_path / "out") == {"model.txt": b"lgbm"}


def test_archive_blob_is_unpacked(azurite: Azurite, container: str, tmp_path: pathlib.Path) -> None:
    put(
        azurite,
        container,
        {"iris.tar.gz": helpers.tar_gz({"model.pt": b"pt", "code/handler.py": b"#"})},
    )
    helpers.fetch(uri(azurite, f"{container}/iris.tar.gz"), tmp_path / "out", env=env_for(azurite))
    assert helpers.tree(tmp_path / "out") == {
        "model.pt": b"pt",
        "code/handler.py": b"#",
    }


def test_missing_container(azurite: Azurite, tmp_path: pathlib.Path) -> None:
    with pytest.raises(errors.SourceNotFound, match="not found"):
        helpers.fetch(
            uri(azurite, "absent-container/iris"),
            tmp_path / "out",
            env=env_for(azurite),
        )


def test_missing_prefix(azurite: Azurite, container: str, tmp_path: pathlib.Path) -> None:
    put(azurite, container, {"iris/model.joblib": b"m"})
    with pytest.raises(
        errors.SourceNotFound,
        match=f"no blob and no blobs below it in container '{container}'",
    ):
        helpers.fetch(uri(azurite, f"{container}/absent"), tmp_path / "out", env=env_for(azurite))


def test_wrong_key_is_access_denied(azurite: Azurite, container: str, tmp_path: pathlib.Path) -> None:
    put(azurite, container, {"iris/model.joblib": b"m"})
    wrong = "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktd3Jvbmcta2V5LXdyb25nLWtleQ=="
    with pytest.raises(errors.AccessDenied, match=r"access denied \(403\); check the account key"):
        helpers.fetch(
            uri(azurite, f"{container}/iris"),
            tmp_path / "out",
            env=env_for(azurite, key=wrong),
        )


def test_connection_string_for_another_account(azurite: Azurite, tmp_path: pathlib.Path) -> None:
    with pytest.raises(
        errors.InvalidSetting,
        match=r"is for account 'modelplanetest' but .* names account 'other'",
    ):
        helpers.fetch(
            "https://other.blob.core.windows.net/models/iris",
            tmp_path / "out",
            env=env_for(azurite),
        )


def test_half_given_service_principal(tmp_path: pathlib.Path) -> None:
    env = {"AZURE_CLIENT_ID": "app", "AZURE_TENANT_ID": "tenant"}
    with pytest.raises(
        errors.CredentialsMissing,
        match="AZURE_CLIENT_ID, AZURE_TENANT_ID set but AZURE_CLIENT_SECRET",
    ):
        helpers.fetch("https://acct.blob.core.windows.net/models/iris", tmp_path / "out", env=env)
