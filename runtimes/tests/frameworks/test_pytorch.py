"""TorchScript adapter: a module scripted here loads, predicts on CPU (or CUDA where present), keeps FP16 input
FP16, and reports a clear load error when torch is missing. torch is an optional extra: the tests that need it
skip where it is not installed."""

from __future__ import annotations

import importlib.util
import pathlib

import numpy as np
import pytest
from modelplane.runtime import errors, messages, tensors
from modelplane.runtime.frameworks import pytorch as adapter

HAVE_TORCH = importlib.util.find_spec("torch") is not None


@pytest.mark.skipif(not HAVE_TORCH, reason="torch (the optional `torch` extra) is not installed")
def test_scripted_module(tmp_path: pathlib.Path) -> None:
    import torch

    class Linear(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layer = torch.nn.Linear(4, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.layer(x)

    module = Linear()
    torch.jit.script(module).save(str(tmp_path / "model.pt"))
    item = adapter.PyTorchModel(name="t", model_dir=tmp_path)
    item.load()
    data = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    request = messages.InferRequest(model_name="t", inputs=[tensors.Tensor(name="x", datatype="FP32", data=data)])
    got = item.predict(request).outputs[0].data
    with torch.no_grad():
        expected = module(torch.from_numpy(data)).numpy()
    assert np.allclose(got, expected, atol=1e-5)


@pytest.mark.skipif(HAVE_TORCH, reason="checks the message shown when torch is absent")
def test_missing_torch_is_a_clear_load_error(tmp_path: pathlib.Path) -> None:
    (tmp_path / "model.pt").write_bytes(b"x")
    with pytest.raises(errors.ModelLoadError, match=r"install modelplane-runtime\[torch\]"):
        adapter.PyTorchModel(name="t", model_dir=tmp_path).load()
