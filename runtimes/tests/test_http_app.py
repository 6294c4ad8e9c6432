"""The REST edge, driven in-process through ASGI: every route (V1, V2, versions, health, metadata, repository
index, metrics, OpenAPI), the KServe error mapping (400/404/405/413/415/500/503) with `{"error": ...}` bodies,
the body limit on Content-Length and on streamed bodies, binary responses, and a model raising."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import orjson
import pytest
from modelplane.runtime import dataplane, errors, http_app, messages, metrics, model, repository, tensors


class Echo(model.Model):
    platform = "echo"

    def predict(self, request: messages.InferRequest) -> messages.InferResponse:
        data = request.inputs[0].data
        if data.dtype.kind == "f" and (data < 0).any():
            raise ValueError("negative input")
        if data.dtype.kind == "f" and (data > 1e6).any():
            raise errors.InvalidInput("too big for this model")
        return messages.InferResponse(model_name=self.name, outputs=[tensors.Tensor.from_array(name="out", array=data)])

    def metadata(self) -> dict[str, Any]:
        return {"inputs": [{"name": "in", "datatype": "FP64", "shape": [-1]}], "outputs": []}


def build(limit: int = 4096) -> tuple[http_app.HttpApp, repository.ModelRepository]:
    models = repository.ModelRepository()
    echo = Echo(name="echo")
    echo.ready = True
    models.add(echo)
    models.add(Echo(name="cold"))
    plane = dataplane.DataPlane(models=models)
    app = http_app.HttpApp(
        plane=plane, metrics_sink=metrics.Metrics(), settings=http_app.HttpSettings(max_body_bytes=limit)
    )
    return app, models


@pytest.fixture
def call() -> Iterator[Any]:
    app, _ = build()
    loop = asyncio.new_event_loop()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")

    def request(method: str, path: str, **kwargs: Any) -> httpx.Response:
        return loop.run_until_complete(client.request(method, path, **kwargs))

    yield request
    loop.run_until_complete(client.aclose())
    loop.close()


def test_health_and_metadata(call: Any) -> None:
    assert call("GET", "/").json()["status"] == "alive"
    assert call("GET", "/v2/health/live").status_code == 200
    assert call("GET", "/v2/health/ready").status_code == 503  # "cold" is not loaded
    assert call("GET", "/v2").json()["extensions"] == ["binary_tensor_data", "model_repository"]
    assert call("GET", "/v1/models").json() == {"models": ["cold", "echo"]}
    assert call("GET", "/v1/models/echo").json() == {"name": "echo", "ready": True}
    assert call("GET", "/v1/models/cold").json() == {"name": "cold", "ready": False}
    meta = call("GET", "/v2/models/echo").json()
    assert meta == {
        "name": "echo",
        "versions": [],
        "platform": "echo",
        "inputs": [{"name": "in", "datatype": "FP64", "shape": [-1]}],
        "outputs": [],
    }
    assert call("GET", "/v2/models/echo/versions/3").status_code == 200
    assert call("GET", "/v2/models/echo/ready").status_code == 200
    assert call("GET", "/v2/models/cold/ready").status_code == 503
    assert call("POST", "/v2/repository/index").json() == [
        {"name": "cold", "state": "UNAVAILABLE"},
        {"name": "echo", "state": "READY"},
    ]
    assert call("GET", "/openapi.json").json()["openapi"] == "3.1.0"
    assert "modelplane_requests_in_flight" in call("GET", "/metrics").text


def test_infer(call: Any) -> None:
    assert call("POST", "/v1/models/echo:predict", json={"instances": [1.5, 2.5]}).json() == {"predictions": [1.5, 2.5]}
    body = {"id": "a", "inputs": [{"name": "in", "shape": [2], "datatype": "FP32", "data": [1, 2]}]}
    for path in ("/v2/models/echo/infer", "/v2/models/echo/versions/1/infer"):
        reply = call("POST", path, json=body).json()
        assert reply["id"] == "a"
        assert reply["outputs"] == [{"name": "out", "datatype": "FP32", "shape": [2], "data": [1.0, 2.0]}]
    body["outputs"] = [{"name": "out", "parameters": {"binary_data": True}}]
    reply = call("POST", "/v2/models/echo/infer", json=body)
    length = int(reply.headers["inference-header-content-length"])
    assert reply.headers["content-type"] == "application/octet-stream"
    assert np.frombuffer(reply.content[length:], dtype="<f4").tolist() == [1.0, 2.0]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "message"),
    [
        ("POST", "/v1/models/echo:predict", {"content": b"{"}, 400, "not valid JSON"),
        ("POST", "/v1/models/echo:predict", {"json": {"instances": [-1.0]}}, 500, "negative input"),
        ("POST", "/v1/models/echo:predict", {"json": {"instances": [1e9]}}, 400, "too big for this model"),
        ("POST", "/v1/models/nope:predict", {"json": {"instances": [1]}}, 404, "'nope' is not in"),
        ("POST", "/v1/models/cold:predict", {"json": {"instances": [1]}}, 503, "'cold' is not ready"),
        ("POST", "/v1/models/echo:explain", {"json": {"instances": [1]}}, 400, "has no explainer"),
        ("GET", "/v1/models/echo:predict", {}, 405, "use POST"),
        ("POST", "/v2/health/live", {}, 405, "use GET"),
        ("GET", "/v3/anything", {}, 404, "no endpoint at /v3/anything"),
        ("GET", "/v2/models/nope", {}, 404, "'nope' is not in"),
        ("GET", "/v2/models/cold", {}, 503, "not ready"),
        ("GET", "/v2/models/nope/ready", {}, 404, "'nope' is not in"),
        ("POST", "/v2/models/echo/infer", {"content": b"x" * 5000}, 413, "limit of 4096"),
        (
            "POST", "/v2/models/echo/infer", {"content": b"{}", "headers": {"content-encoding": "gzip"}}, 415,
            "Content-Encoding gzip",
        ),
        (
            "POST", "/v2/models/echo/infer", {"content": b"{}", "headers": {"inference-header-content-length": "x"}},
            400, "must be an integer",
        ),
        ("POST", "/v2/repository/models/x/load", {}, 400, "without a model directory"),
        ("POST", "/v2/repository/models/x/unload", {}, 404, "'x' is not in"),
    ],
)  # fmt: skip
def test_errors(call: Any, method: str, path: str, kwargs: dict[str, Any], status: int, message: str) -> None:
    reply = call(method, path, **kwargs)
    assert reply.status_code == status
    assert message in reply.json()["error"]
    assert set(reply.json()) == {"error"}


def test_streamed_body_over_the_limit() -> None:
    app, _ = build(limit=2048)

    async def run() -> tuple[int, bytes]:
        chunks = [{"type": "http.request", "body": b"x" * 1024, "more_body": True} for _ in range(3)]
        chunks.append({"type": "http.request", "body": b"", "more_body": False})
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return chunks.pop(0)

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": "/v2/models/echo/infer", "headers": []}
        await app(scope, receive, send)
        return sent[0]["status"], sent[1]["body"]

    status, body = asyncio.run(run())
    assert status == 413
    assert "limit of 2048" in orjson.loads(body)["error"]


def test_unexpected_exceptions_become_500(call: Any) -> None:
    class Broken(model.Model):
        def metadata(self) -> dict[str, Any]:
            raise RuntimeError("metadata exploded")

    app, models = build()
    broken = Broken(name="broken")
    broken.ready = True
    models.add(broken)

    async def run() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            return await client.get("/v2/models/broken")

    reply = asyncio.run(run())
    assert reply.status_code == 500
    assert reply.json() == {"error": "internal error: RuntimeError: metadata exploded"}
