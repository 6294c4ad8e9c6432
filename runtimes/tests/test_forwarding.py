"""Calling other model servers: a transformer (the example of docs/runtime.md: a custom model with
preprocess/postprocess and --predictor_host) in front of a real sklearn predictor server, over V1 and V2; proxy
mode forwarding to an upstream server; and the errors a caller sees when the predictor rejects the input (passed
through) or cannot be reached (502)."""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from modelplane.runtime import forwarding

DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs" / "runtime.md"


def documented_transformer() -> str:
    """The transformer example of docs/runtime.md, so the documentation cannot rot."""
    text = DOCS.read_text()
    start = text.index("```python\n# model.py in the model directory") + len("```python\n")
    return text[start : text.index("```", start)]


TEXT_ROWS = [["6.8", "2.8", "4.8", "1.4"], ["6.0", "3.4", "4.5", "1.6"]]


@pytest.fixture(scope="module")
def predictor(start_module_server: Callable[..., Any], iris_dir: pathlib.Path) -> Any:
    return start_module_server("--model_name", "iris", "--model_dir", str(iris_dir), "--grpc_port", "0")


@pytest.mark.parametrize("protocol", ["v1", "v2"])
def test_transformer(start_server: Callable[..., Any], predictor: Any, tmp_path: pathlib.Path, protocol: str) -> None:
    (tmp_path / "model.py").write_text(documented_transformer())
    transformer = start_server(
        "--model_name", "iris", "--model_dir", str(tmp_path), "--component", "transformer",
        "--predictor_host", f"127.0.0.1:{predictor.http_port}", "--predictor_protocol", protocol,
    )  # fmt: skip
    reply = httpx.post(transformer.url + "/v1/models/iris:predict", json={"instances": TEXT_ROWS})
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"predictions": ["versicolor", "versicolor"]}
    bad = httpx.post(transformer.url + "/v1/models/iris:predict", json={"instances": [["1", "2"]]})
    assert bad.status_code == 400
    assert "answered 400" in bad.json()["error"]
    assert "expects input of shape [N, 4]" in bad.json()["error"]


def test_proxy_mode(start_server: Callable[..., Any], predictor: Any) -> None:
    proxy = start_server(
        "--model_name", "iris", "--proxy_upstream", predictor.url, "--predictor_protocol", "v2",
        "--max_batch_size", "16",
    )  # fmt: skip
    reply = httpx.post(proxy.url + "/v1/models/iris:predict", json={"instances": [[6.8, 2.8, 4.8, 1.4]]})
    assert reply.json() == {"predictions": [1]}
    v2 = httpx.post(
        proxy.url + "/v2/models/iris/infer",
        json={"inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP64", "data": [6.0, 3.4, 4.5, 1.6]}]},
    )
    assert v2.json()["outputs"][0]["data"] == [1]


def test_unreachable_predictor() -> None:
    import asyncio

    from modelplane.runtime import errors, messages, tensors

    client = forwarding.PredictorClient(url="127.0.0.1:9", protocol="v1", timeout_s=2)
    request = messages.InferRequest(model_name="m", inputs=[tensors.Tensor.from_array(name="x", array=[[1.0]])])

    async def run() -> None:
        try:
            with pytest.raises(errors.UpstreamError, match="cannot be reached") as caught:
                await client.infer(request)
            assert caught.value.status == 502
        finally:
            await client.close()

    asyncio.run(run())
    assert forwarding.base_url("host:80") == "http://host:80"
    assert forwarding.base_url("https://h/") == "https://h"
