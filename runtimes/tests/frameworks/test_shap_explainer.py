"""The SHAP explainer component (`--model_format shap`), with two real servers on 127.0.0.1: a predictor serving
iris, and an explainer started with the container args of the example in docs/runtime.md (its ConfigMap's files in
a folder, the predictor on 127.0.0.1) that scores through it. Covers: class labels one-hot over `classes` from
explainer.json, so per-class SHAP values add up to the predicted class; a background from background.json; the V2
predictor protocol with no model directory (a zero background, the label explained as a number); `:predict`
forwarded to the predictor; rows of the wrong width (400); metadata; an unreachable predictor (502); and load
errors for a missing predictor and a bad explainer.json."""

from __future__ import annotations

import asyncio
import pathlib
from collections.abc import Callable
from typing import Any

import httpx
import numpy as np
import pytest
import yaml
from modelplane.runtime import errors, forwarding, messages, tensors
from modelplane.runtime.frameworks import shap_explainer

from runtimes.tests.conftest import IRIS_INSTANCES, free_port

Server = Any  # conftest.Server: a started server process with its ports and log
DOCS = pathlib.Path(__file__).resolve().parents[3] / "docs" / "runtime.md"


@pytest.fixture
def predictor(start_server: Callable[..., Server], iris_dir: pathlib.Path) -> Server:
    return start_server("--model_name", "iris", "--model_dir", str(iris_dir))


def explain(server: Server, rows: list[list[float]]) -> httpx.Response:
    return httpx.post(f"{server.url}/v1/models/iris:explain", json={"instances": rows}, timeout=120)


def documented_example() -> tuple[dict[str, str], list[str]]:
    """The ConfigMap's files and the explainer container's args of the example in docs/runtime.md."""
    text = DOCS.read_text()
    start = text.index("```yaml\n# explainer example\n") + len("```yaml\n")
    config_map, service = yaml.safe_load_all(text[start : text.index("```", start)])
    [container] = service["spec"]["explainer"]["containers"]
    assert container["image"].startswith("modelplane/runtime:")
    return config_map["data"], container["args"]


def test_explains_the_predictors_classes(
    start_server: Callable[..., Server], predictor: Server, tmp_path: pathlib.Path
) -> None:
    files, args = documented_example()
    for name, content in files.items():
        (tmp_path / name).write_text(content)
    local = {"--model_dir": str(tmp_path), "--predictor_host": f"127.0.0.1:{predictor.http_port}"}
    args = [
        f"{flag}={local[flag]}" if flag in local else f"{flag}={value}" if sep else flag
        for flag, sep, value in (arg.partition("=") for arg in args)
    ]
    explainer = start_server(*args, "--component", "explainer")
    reply = explain(explainer, IRIS_INSTANCES)
    assert reply.status_code == 200, reply.text + explainer.log()
    result = reply.json()["explanations"]
    values = np.asarray(result["shap_values"])
    assert values.shape == (2, 4, 3)  # rows, features, classes
    total = values.sum(axis=1) + np.asarray(result["base_values"])
    assert np.allclose(total, [[0, 1, 0], [0, 1, 0]], atol=1e-6)  # both rows are predicted class 1
    predicted = httpx.post(
        f"{explainer.url}/v1/models/iris:predict", json={"instances": IRIS_INSTANCES}, timeout=30
    ).json()
    assert predicted == {"predictions": [1, 1]}
    narrow = explain(explainer, [[1.0, 2.0]])
    assert narrow.status_code == 400
    assert "rows of 4 features" in narrow.json()["error"]
    metadata = httpx.get(f"{explainer.url}/v2/models/iris", timeout=10).json()
    assert metadata["platform"] == "shap"
    assert metadata["inputs"][0]["shape"] == [-1, 4]


def test_v2_predictor_and_no_model_dir(start_server: Callable[..., Server], predictor: Server) -> None:
    explainer = start_server(
        "--model_name", "iris", "--model_format", "shap",
        "--predictor_host", f"http://127.0.0.1:{predictor.http_port}", "--predictor_protocol", "v2",
    )  # fmt: skip
    reply = explain(explainer, IRIS_INSTANCES[:1])
    assert reply.status_code == 200, reply.text + explainer.log()
    result = reply.json()["explanations"]
    values = np.asarray(result["shap_values"])
    assert values.shape == (1, 4)
    assert np.allclose(values.sum(axis=1) + np.asarray(result["base_values"]), [1.0], atol=1e-6)


def test_an_unreachable_predictor_is_502(tmp_path: pathlib.Path) -> None:
    client = forwarding.PredictorClient(url=f"127.0.0.1:{free_port()}")
    item = shap_explainer.ShapExplainer(name="iris", model_dir=tmp_path, predictor=client)
    item.load()
    request = messages.InferRequest(
        model_name="iris", inputs=[tensors.Tensor.from_array(name="input-0", array=np.ones((1, 4)))]
    )

    async def run() -> None:
        try:
            await item.explain(request)
        finally:
            await client.close()

    with pytest.raises(errors.UpstreamError, match="cannot be reached"):
        asyncio.run(run())


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("{", "is not valid JSON"),
        ('{"nsamples": 0}', "must be a whole number >= 1"),
        ('{"classes": [1]}', "two or more distinct labels"),
        ('{"colour": "red"}', 'only "nsamples" and "classes"'),
    ],
)
def test_bad_explainer_json(tmp_path: pathlib.Path, config: str, message: str) -> None:
    (tmp_path / "explainer.json").write_text(config)
    item = shap_explainer.ShapExplainer(name="m", model_dir=tmp_path, predictor=forwarding.PredictorClient(url="p:80"))
    with pytest.raises(errors.ModelLoadError, match=message):
        item.load()


def test_a_predictor_is_required() -> None:
    with pytest.raises(errors.ModelLoadError, match="pass --predictor_host"):
        shap_explainer.ShapExplainer(name="m").load()
