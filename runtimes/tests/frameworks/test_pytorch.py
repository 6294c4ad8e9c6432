"""TorchScript adapter: a module scripted here loads, predicts on CPU (or CUDA where present), and reports V2 metadata
from the module (forward's argument names, its output count, the datatype of its parameters: FP16 for a half model),
from a metadata.json beside it or one stored inside the .pt file (a document that disagrees with forward's signature,
or is malformed, is a clear load error); read-only input (V2 binary data) is accepted without a warning; FP16 input
stays FP16 and an FP16 model answers FP16, with documented datatypes an FP32 input is cast to them; inputs go to
forward by name; a TorchScript model served with adaptive batching merges concurrent requests and answers each caller
its own rows; and a clear load error when torch is missing. torch is an optional extra: the tests that need it skip
where it is not installed (see docs/runtime.md for where they ran)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import pathlib
import warnings
from collections.abc import Callable
from typing import Any

import httpx
import numpy as np
import pytest
from modelplane.runtime import errors, messages, tensors
from modelplane.runtime.frameworks import pytorch as adapter

HAVE_TORCH = importlib.util.find_spec("torch") is not None
if HAVE_TORCH:
    import torch  # at module level: TorchScript resolves the modules' annotations in this module's globals
needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="torch (the optional `torch` extra) is not installed")

Server = Any  # conftest.Server: a started server process with its ports and log


def save(module: Any, path: pathlib.Path, *, extra: dict[str, str] | None = None) -> Any:
    """Script and save a module (recent torch warns that TorchScript is deprecated; it still works)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch 2.15
        warnings.simplefilter("ignore", DeprecationWarning)  # torch 2.11
        scripted = torch.jit.script(module)
        scripted.save(str(path), _extra_files=extra or {})
    return scripted


def loaded(directory: pathlib.Path) -> adapter.PyTorchModel:
    item = adapter.PyTorchModel(name="t", model_dir=directory)
    item.load()
    return item


def infer(item: adapter.PyTorchModel, **inputs: np.ndarray) -> messages.InferResponse:
    request = messages.InferRequest(
        model_name="t",
        inputs=[
            tensors.Tensor(name=name, datatype=tensors.datatype_of(data), data=data) for name, data in inputs.items()
        ],
    )
    return item.predict(request)


def modules() -> Any:
    """Module classes defined where TorchScript can read their source."""

    class Linear(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layer = torch.nn.Linear(4, 3)

        def forward(self, features: torch.Tensor) -> torch.Tensor:
            return self.layer(features)

    class Difference(torch.nn.Module):
        def forward(self, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            return a - b, a * 2

    class Slow(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.weight = torch.nn.Parameter(torch.eye(256) * 0.5, requires_grad=False)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            busy = torch.ones(256, 256, device=x.device)  # where the model runs: CUDA when present
            for _ in range(40):
                busy = torch.tanh(busy @ self.weight)
            return x * 2 + busy.sum() * 0

    return Linear, Difference, Slow


@needs_torch
def test_scripted_module_predicts_and_describes_itself(tmp_path: pathlib.Path) -> None:
    linear, _, _ = modules()
    module = linear()
    save(module, tmp_path / "model.pt")
    item = loaded(tmp_path)
    data = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    got = infer(item, features=data).outputs[0]
    with torch.no_grad():
        expected = module(torch.from_numpy(data)).numpy()
    assert np.allclose(got.data, expected, atol=1e-5)
    assert (got.name, got.datatype) == ("output-0", "FP32")
    assert item.metadata() == {
        "inputs": [{"name": "features", "datatype": "FP32", "shape": [-1]}],
        "outputs": [{"name": "output-0", "datatype": "FP32", "shape": [-1]}],
    }


@needs_torch
def test_read_only_binary_input_is_accepted_without_a_warning(tmp_path: pathlib.Path) -> None:
    # V2 binary tensor data arrives as a read-only view of the request body; torch warns on such arrays (an error
    # under this suite's warning filter) unless the adapter hands it a copy.
    linear, _, _ = modules()
    module = linear()
    save(module, tmp_path / "model.pt")
    item = loaded(tmp_path)
    data = np.frombuffer(np.arange(8, dtype=np.float32).tobytes(), dtype=np.float32).reshape(2, 4)
    assert not data.flags.writeable
    got = infer(item, features=data).outputs[0]
    with torch.no_grad():
        expected = module(torch.from_numpy(data.copy())).numpy()
    assert np.allclose(got.data, expected, atol=1e-5)


@needs_torch
def test_fp16_model_and_input(tmp_path: pathlib.Path) -> None:
    linear, _, _ = modules()
    module = linear().half()
    save(module, tmp_path / "model.pt")
    item = loaded(tmp_path)
    assert item.metadata()["inputs"][0]["datatype"] == "FP16"
    assert item.metadata()["outputs"][0]["datatype"] == "FP16"
    data = np.random.default_rng(1).normal(size=(3, 4)).astype(np.float16)
    got = infer(item, features=data).outputs[0]
    assert got.datatype == "FP16"
    assert got.data.dtype == np.float16
    with torch.no_grad():
        expected = module(torch.from_numpy(data)).numpy()
    assert np.allclose(got.data.astype(np.float32), expected.astype(np.float32), atol=1e-2)


@needs_torch
def test_metadata_document_beside_the_file_names_types_and_casts(tmp_path: pathlib.Path) -> None:
    linear, _, _ = modules()
    module = linear().half()
    save(module, tmp_path / "model.pt")
    document = {
        "inputs": [{"name": "features", "datatype": "FP16", "shape": [-1, 4]}],
        "outputs": [{"name": "scores", "datatype": "FP16", "shape": [-1, 3]}],
    }
    (tmp_path / "metadata.json").write_text(json.dumps(document))
    item = loaded(tmp_path)
    assert item.metadata() == document
    answer = infer(item, features=np.ones((2, 4), dtype=np.float32)).outputs[0]  # an FP32 client
    assert (answer.name, answer.datatype, answer.data.shape) == ("scores", "FP16", (2, 3))


@needs_torch
def test_metadata_document_inside_the_file_and_inputs_by_name(tmp_path: pathlib.Path) -> None:
    _, difference, _ = modules()
    document = {
        "inputs": [spec("a", shape=[-1, 2]), spec("b", shape=[-1, 2])],
        "outputs": [spec("diff", shape=[-1, 2]), spec("twice", shape=[-1, 2])],
    }
    save(difference(), tmp_path / "model.pt", extra={"metadata.json": json.dumps(document)})
    item = loaded(tmp_path)
    assert item.metadata() == document
    a = np.array([[5.0, 5.0]], dtype=np.float32)
    b = np.array([[1.0, 2.0]], dtype=np.float32)
    outputs = infer(item, b=b, a=a).outputs  # listed out of order: matched by name
    assert [(o.name, o.data.tolist()) for o in outputs] == [("diff", [[4.0, 3.0]]), ("twice", [[10.0, 10.0]])]


@needs_torch
def test_undocumented_tuple_output_counts_from_the_signature(tmp_path: pathlib.Path) -> None:
    _, difference, _ = modules()
    save(difference(), tmp_path / "model.pt")
    described = loaded(tmp_path).metadata()
    assert [i["name"] for i in described["inputs"]] == ["a", "b"]
    assert [o["name"] for o in described["outputs"]] == ["output-0", "output-1"]


def spec(name: str, datatype: str = "FP32", shape: list[int] | None = None) -> dict[str, Any]:
    return {"name": name, "datatype": datatype, "shape": shape if shape is not None else [-1]}


@needs_torch
@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param("{", "is not valid JSON", id="not-json"),
        pytest.param('{"inputs": []}', 'with "inputs" and "outputs"', id="no-outputs"),
        pytest.param(
            json.dumps({"inputs": [spec("x", "FP8")], "outputs": [spec("y")]}), "datatype 'FP8'", id="bad-datatype"
        ),
        pytest.param(
            json.dumps({"inputs": [spec("x", shape=[-2])], "outputs": [spec("y")]}), r"shape \[-2\]", id="bad-shape"
        ),
        pytest.param(
            json.dumps({"inputs": [spec("x"), spec("z")], "outputs": [spec("y")]}),
            r"describes 2 inputs but forward\(\) takes 1 \(features\)",
            id="wrong-count",
        ),
        pytest.param(
            json.dumps({"inputs": [spec("x")], "outputs": [spec("y"), spec("w")]}),
            r"describes 2 outputs but forward\(\) returns 1",
            id="wrong-output-count",
        ),
    ],
)
def test_bad_metadata_documents(tmp_path: pathlib.Path, document: str, message: str) -> None:
    linear, _, _ = modules()
    save(linear(), tmp_path / "model.pt")
    (tmp_path / "metadata.json").write_text(document)
    with pytest.raises(errors.ModelLoadError, match=message):
        loaded(tmp_path)


@needs_torch
def test_served_with_adaptive_batching(start_server: Callable[..., Server], tmp_path: pathlib.Path) -> None:
    _, _, slow = modules()
    save(slow(), tmp_path / "model.pt")
    server = start_server(
        "--model_name", "slow", "--model_dir", str(tmp_path), "--max_batch_size", "32", "--max_latency_ms", "200",
        timeout_s=120,
    )  # fmt: skip

    async def run() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:

            async def one(i: int) -> httpx.Response:
                body = {"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [float(i), -float(i)]}]}
                return await client.post("/v2/models/slow/infer", json=body)

            return list(await asyncio.gather(*(one(i) for i in range(48))))

    replies = asyncio.run(run())
    assert [r.status_code for r in replies] == [200] * 48
    assert [r.json()["outputs"][0]["data"] for r in replies] == [[2.0 * i, -2.0 * i] for i in range(48)]
    metrics = httpx.get(server.url + "/metrics", timeout=10).text
    calls = next(
        float(line.split()[-1]) for line in metrics.splitlines() if line.startswith("modelplane_batch_size_count")
    )
    assert calls < 48, "no two requests shared a predict call"


@pytest.mark.skipif(HAVE_TORCH, reason="checks the message shown when torch is absent")
def test_missing_torch_is_a_clear_load_error(tmp_path: pathlib.Path) -> None:
    (tmp_path / "model.pt").write_bytes(b"x")
    with pytest.raises(errors.ModelLoadError, match=r"install modelplane-runtime\[torch\]"):
        adapter.PyTorchModel(name="t", model_dir=tmp_path).load()
