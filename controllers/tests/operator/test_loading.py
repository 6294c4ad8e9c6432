"""Tests of model loading through the V2 repository API against Modelplane's real model server on 127.0.0.1:
a TrainedModel-style load of a second model, fetched from the `storage_uri` in the load body, makes it servable and
`is_loaded` says so; unload removes it; a model the server cannot find is a LoadError naming the model and the
server's answer; `perform_all` collects each replica's failure without stopping at the first; a replica that does
not answer is not loaded.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import joblib
import pytest
from modelplane.operator import loading
from modelplane.reconcile.plan import ModelLoad
from sklearn import linear_model

RUNTIME = [sys.executable, "-m", "modelplane.runtime"]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A `file://` storage URI holding a second sklearn model, outside the server's model directory."""
    directory = tmp_path_factory.mktemp("extra-source")
    joblib.dump(linear_model.LogisticRegression().fit([[0.0, 0.0], [1.0, 1.0]], [0, 1]), directory / "model.joblib")
    return directory.as_uri()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """modelplane-runtime serving `base` from its model directory."""
    root = tmp_path_factory.mktemp("models")
    model = linear_model.LogisticRegression().fit([[0.0, 0.0], [1.0, 1.0]], [0, 1])
    joblib.dump(model, root / "model.joblib")
    port = _port()
    process = subprocess.Popen(
        [
            *RUNTIME,
            "--model_name",
            "base",
            "--model_dir",
            str(root),
            "--model_format",
            "sklearn",
            "--http_port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/v2/health/ready", timeout=1):
                    break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("the model server did not become ready")
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _ready(url: str, name: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/v2/models/{name}/ready", timeout=5) as answer:
            return answer.status == 200
    except urllib.error.HTTPError:
        return False


def test_load_then_unload(server: str, source: str) -> None:
    replica = server.removeprefix("http://")
    assert not loading.is_loaded(replica, model_name="extra")
    body = {"parameters": {"storage_uri": source, "model_format": "sklearn"}}
    loading.perform(
        ModelLoad(url=f"{server}/v2/repository/models/extra/load", action="load", model_name="extra", body=body)
    )
    assert _ready(server, "extra")
    assert loading.is_loaded(replica, model_name="extra")
    loading.perform(
        ModelLoad(url=f"{server}/v2/repository/models/extra/unload", action="unload", model_name="extra", body={})
    )
    assert not _ready(server, "extra")


def test_perform_all_reports_each_failing_replica(server: str, source: str) -> None:
    dead = f"127.0.0.1:{_port()}"
    body = {"parameters": {"storage_uri": source, "model_format": "sklearn"}}
    loads = [
        ModelLoad(
            url=f"http://{dead}/v2/repository/models/twin/load",
            action="load",
            model_name="twin",
            body=body,
            replica=dead,
        ),
        ModelLoad(
            url=f"{server}/v2/repository/models/twin/load",
            action="load",
            model_name="twin",
            body=body,
            replica=server.removeprefix("http://"),
        ),
    ]
    failures = loading.perform_all(loads)
    assert list(failures) == [dead]
    assert "load of twin" in failures[dead]
    assert "failed" in failures[dead]
    assert _ready(server, "twin"), "the replica after the failing one still got the model"
    assert not loading.is_loaded(dead, model_name="twin")


def test_unknown_model_is_a_load_error(server: str) -> None:
    request = ModelLoad(url=f"{server}/v2/repository/models/missing/load", action="load", model_name="missing", body={})
    with pytest.raises(loading.LoadError, match=r"load of missing at .* answered HTTP 404: .*missing"):
        loading.perform(request)
