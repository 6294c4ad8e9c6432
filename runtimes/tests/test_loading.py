"""Covers loading.ModelLoader, and the repository extension's load with a storage URI through a real server:

- a load naming a `storage_uri` (a real HTTP server on 127.0.0.1) is fetched into `<model_dir>/<name>` with the
  URI recorded beside it; loading the same URI again downloads nothing; another URI replaces the folder's contents;
- `discard` removes a fetched folder and never one the server did not write;
- a bad format, an unknown scheme, a missing object, a path-like name: each a clear domain error;
- a `--model_dir` of folders only (or empty) is a repository: its folders load at start;
- through `python -m modelplane.runtime` with moto's S3 server: an empty model dir is a ready multi-model server,
  the controller's TrainedModel load body (`storage_uri` + `model_format`) loads a model that then predicts, with
  S3 credentials from the server's environment; a bad format is 400, a missing object 404, an unreadable body 400,
  each with an `error` field; a failed load leaves the server ready; unload removes the model and its files.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from typing import Any

import boto3
import httpx
import pytest
from modelplane.runtime import errors, loading, messages, settings

from runtimes.tests.storage.conftest import S3Server, Web, WebFile

Server = Any  # conftest.Server: a started server process with its ports and log

IRIS = [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]


def loader_for(model_dir: pathlib.Path, env: dict[str, str] | None = None) -> loading.ModelLoader:
    config = settings.Settings(model_name="main", model_dir=model_dir)
    return loading.ModelLoader(config=config, predictor=None, env=env or {})


def test_fetches_once_per_uri_into_a_folder_per_model(web: Web, iris_dir: pathlib.Path, tmp_path: pathlib.Path) -> None:
    joblib_bytes = (iris_dir / "model.joblib").read_bytes()
    web.files["/v1/model.joblib"] = WebFile(joblib_bytes)
    web.files["/v2/iris.joblib"] = WebFile(joblib_bytes)
    root = tmp_path / "models"
    loader = loader_for(root)
    first = messages.ModelSource(storage_uri=f"{web.url}/v1/model.joblib", model_format="sklearn")

    item = loader("iris", first)
    item.load()
    assert item.model_dir == root / "iris"
    assert sorted(p.name for p in (root / "iris").iterdir()) == ["model.joblib"]
    assert (root / ".iris.source").read_text() == first.storage_uri
    assert web.gets("/v1/model.joblib") == 1

    again = loader("iris", first)
    again.load()
    assert web.gets("/v1/model.joblib") == 1, "the same URI was downloaded again"

    loader("iris", messages.ModelSource(storage_uri=f"{web.url}/v2/iris.joblib")).load()
    assert sorted(p.name for p in (root / "iris").iterdir()) == ["iris.joblib"]
    assert web.gets("/v2/iris.joblib") == 1
    assert sorted(p.name for p in root.iterdir()) == [".iris.source", "iris"]

    loader.discard("iris")
    assert list(root.iterdir()) == []


def test_discard_leaves_folders_it_did_not_fetch(tmp_path: pathlib.Path, iris_dir: pathlib.Path) -> None:
    (tmp_path / "kept").mkdir()
    (tmp_path / "kept" / "model.joblib").write_bytes((iris_dir / "model.joblib").read_bytes())
    loader = loader_for(tmp_path)
    loader("kept", None).load()
    loader.discard("kept")
    assert (tmp_path / "kept" / "model.joblib").is_file()


@pytest.mark.parametrize(
    ("name", "source", "error", "message"),
    [
        pytest.param(
            "m", messages.ModelSource(model_format="tensorflow"), errors.InvalidInput,
            r"model_format 'tensorflow' is not served by this runtime; use one of sklearn", id="unknown-format",
        ),
        pytest.param(
            "m", messages.ModelSource(storage_uri="ftp://host/model"), errors.InvalidInput, r"model 'm': .*ftp",
            id="unknown-scheme",
        ),
        pytest.param(
            "../up", messages.ModelSource(storage_uri="s3://b/m"), errors.InvalidInput, "must not contain '/'",
            id="path-like-name",
        ),
        pytest.param("absent", None, errors.ModelNotFound, "'absent' is not in this server", id="no-folder"),
    ],
)  # fmt: skip
def test_bad_loads_are_clear_errors(
    tmp_path: pathlib.Path, name: str, source: messages.ModelSource | None, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        loader_for(tmp_path)(name, source)
    assert not any(tmp_path.iterdir()), "a refused load left files behind"


def test_a_missing_object_is_source_not_found(web: Web, tmp_path: pathlib.Path) -> None:
    source = messages.ModelSource(storage_uri=f"{web.url}/nothing/model.joblib")
    with pytest.raises(errors.SourceNotFound, match="model 'm': "):
        loader_for(tmp_path)("m", source)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_wrong_format_fails_at_load(web: Web, iris_dir: pathlib.Path, tmp_path: pathlib.Path) -> None:
    web.files["/model.joblib"] = WebFile((iris_dir / "model.joblib").read_bytes())
    item = loader_for(tmp_path)("m", messages.ModelSource(storage_uri=f"{web.url}/model.joblib", model_format="onnx"))
    with pytest.raises(errors.ModelLoadError, match=r"no ONNX model file \(.onnx\)"):
        item.load()


def test_a_directory_of_folders_is_a_repository(tmp_path: pathlib.Path, iris_dir: pathlib.Path) -> None:
    assert loading.is_repository(tmp_path)
    assert loader_for(tmp_path).startup_names() == []
    for name in ("b", "a"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "model.joblib").write_bytes((iris_dir / "model.joblib").read_bytes())
    (tmp_path / ".a.source").write_text("s3://x/a")
    loader = loader_for(tmp_path)
    assert loader.repository_layout
    assert loader.startup_names() == ["a", "b"]
    with pytest.raises(errors.ModelNotFound):
        loader("main", None)
    assert not loading.is_repository(iris_dir)
    assert loader_for(iris_dir).startup_names() == ["main"]


# --- through the server, against moto's S3 -----------------------------------------------------------------------


def put(server: S3Server, objects: dict[str, bytes]) -> None:
    client = boto3.client(
        "s3",
        endpoint_url=server.endpoint,
        aws_access_key_id=server.env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=server.env["AWS_SECRET_ACCESS_KEY"],
        region_name="us-east-1",
    )
    client.create_bucket(Bucket="models")
    for key, body in objects.items():
        client.put_object(Bucket="models", Key=key, Body=body)
    client.close()


def load(server: Server, name: str, body: Any) -> httpx.Response:
    content = body if isinstance(body, bytes) else httpx.Request("POST", "/", json=body).content
    return httpx.post(f"{server.url}/v2/repository/models/{name}/load", content=content, timeout=60)


def test_trained_model_loads_from_s3_through_the_server(
    start_server: Callable[..., Server], s3_server: S3Server, iris_dir: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    put(s3_server, {"tm/iris/model.joblib": (iris_dir / "model.joblib").read_bytes()})
    root = tmp_path / "mnt-models"
    root.mkdir()
    server = start_server("--model_name", "parent", "--model_dir", str(root), env=s3_server.env)
    assert httpx.get(server.url + "/v2/health/ready", timeout=5).status_code == 200
    assert httpx.get(server.url + "/v1/models", timeout=5).json() == {"models": []}

    # What the controller sends for a TrainedModel (controllers/src/modelplane/reconcile/trainedmodel.py).
    reply = load(server, "iris-a", {"parameters": {"storage_uri": "s3://models/tm/iris", "model_format": "sklearn"}})
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"name": "iris-a", "load": True}
    assert (root / "iris-a" / "model.joblib").is_file()
    predicted = httpx.post(f"{server.url}/v1/models/iris-a:predict", json={"instances": IRIS}, timeout=10)
    assert predicted.json() == {"predictions": [1, 1]}

    bad_format = load(server, "iris-b", {"parameters": {"storage_uri": "s3://models/tm/iris", "model_format": "pmml"}})
    assert bad_format.status_code == 400
    assert "model_format 'pmml' is not served" in bad_format.json()["error"]
    missing = load(server, "iris-c", {"parameters": {"storage_uri": "s3://models/tm/none", "model_format": "sklearn"}})
    assert missing.status_code == 404
    assert "s3://models/tm/none" in missing.json()["error"]
    wrong = load(server, "iris-d", {"parameters": {"storage_uri": "s3://models/tm/iris", "model_format": "xgboost"}})
    assert wrong.status_code == 500
    assert "no XGBoost model file" in wrong.json()["error"]
    for body, message in (
        (b"{not json", "not valid JSON"),
        ({"parameters": {"storage_uri": 3}}, "must be a non-empty string"),
        ({"parameters": {"config": "{}"}}, "are not supported"),
    ):
        refused = load(server, "iris-e", body)
        assert refused.status_code == 400
        assert message in refused.json()["error"]
    assert httpx.get(server.url + "/v2/health/ready", timeout=5).status_code == 200, "a failed load made it unready"
    assert httpx.get(server.url + "/v2/models/iris-d/ready", timeout=5).status_code == 503

    unloaded = httpx.post(f"{server.url}/v2/repository/models/iris-a/unload", timeout=30)
    assert unloaded.status_code == 200
    assert not (root / "iris-a").exists()
    assert not (root / ".iris-a.source").exists()
    gone = httpx.post(f"{server.url}/v1/models/iris-a:predict", json={"instances": IRIS}, timeout=10)
    assert gone.status_code == 404
    assert server.alive()
