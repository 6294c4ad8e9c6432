"""TorchScript models (`torch.jit.save` -> `.pt`), on CUDA when present, else CPU.

torch is the optional `torch` extra. Inputs are passed to the module positionally in the order the request lists
them; FP16 inputs stay FP16 (so a half-precision model on a GPU gets what it expects). Predict runs in a worker
thread, so the event loop keeps reading (and batching) requests while the device computes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from modelplane.runtime import errors, messages, model, tensors
from modelplane.runtime.frameworks import files

SUFFIXES = (".pt", ".pth", ".torchscript")


class PyTorchModel(model.Model):
    platform = "pytorch_torchscript"
    run_in_thread = True

    def load(self) -> None:
        path = files.find_one(self.model_dir, suffixes=SUFFIXES, format_name="TorchScript")
        try:
            import torch
        except ImportError as exc:
            raise errors.ModelLoadError("TorchScript models need torch: install modelplane-runtime[torch]") from exc
        self._torch = torch
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        try:
            self.module = torch.jit.load(str(path), map_location=self.device)
        except Exception as exc:
            raise errors.ModelLoadError(f"{path.name} is not a TorchScript file: {exc}") from exc
        self.module.eval()
        self.ready = True

    def metadata(self) -> dict[str, Any]:
        return {
            "inputs": [{"name": "input-0", "datatype": "FP32", "shape": [-1]}],
            "outputs": [{"name": "output-0", "datatype": "FP32", "shape": [-1]}],
        }

    def predict(self, request: messages.InferRequest) -> messages.InferResponse:
        torch = self._torch
        arguments = []
        for tensor in request.inputs:
            if tensor.data.dtype == object:
                raise errors.InvalidInput(f"input '{tensor.name}' must be numbers for a TorchScript model")
            arguments.append(torch.from_numpy(np.ascontiguousarray(tensor.data)).to(self.device, non_blocking=True))
        with torch.inference_mode():
            try:
                result = self.module(*arguments)
            except RuntimeError as exc:
                raise errors.InvalidInput(f"the TorchScript module rejected the input: {exc}") from exc
        results = result if isinstance(result, tuple | list) else [result]
        return messages.InferResponse(
            model_name=self.name,
            model_version=self.version,
            outputs=[
                tensors.Tensor.from_array(name=f"output-{index}", array=value.detach().cpu().numpy())
                for index, value in enumerate(results)
            ],
        )
