"""ONNX models run by ONNX Runtime (CUDA when the CUDA provider is present, else CPU).

Inputs are matched by name; a request with a single input feeds the model's single input whatever it is called
(so V1 instances work). Inputs are cast to the element type the graph declares.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from modelplane.runtime import errors, messages, model, tensors
from modelplane.runtime.frameworks import files

SUFFIXES = (".onnx",)
_ONNX_TO_DATATYPE = {
    "tensor(bool)": "BOOL",
    "tensor(int8)": "INT8",
    "tensor(int16)": "INT16",
    "tensor(int32)": "INT32",
    "tensor(int64)": "INT64",
    "tensor(uint8)": "UINT8",
    "tensor(uint16)": "UINT16",
    "tensor(uint32)": "UINT32",
    "tensor(uint64)": "UINT64",
    "tensor(float16)": "FP16",
    "tensor(float)": "FP32",
    "tensor(double)": "FP64",
    "tensor(string)": "BYTES",
}


def _shape(dims: list[Any]) -> list[int]:
    return [dim if isinstance(dim, int) else -1 for dim in dims]


class ONNXModel(model.Model):
    platform = "onnxruntime_onnx"

    def load(self) -> None:
        path = files.find_one(self.model_dir, suffixes=SUFFIXES, format_name="ONNX")
        import onnxruntime

        providers = [p for p in ("CUDAExecutionProvider",) if p in onnxruntime.get_available_providers()]
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        try:
            self.session = onnxruntime.InferenceSession(
                str(path), sess_options=options, providers=[*providers, "CPUExecutionProvider"]
            )
        except Exception as exc:
            raise errors.ModelLoadError(f"{path.name} is not a loadable ONNX model: {exc}") from exc
        self.run_in_thread = bool(providers)
        self._inputs = self.session.get_inputs()
        self._outputs = self.session.get_outputs()
        self.ready = True

    def _datatype(self, onnx_type: str) -> str:
        return _ONNX_TO_DATATYPE.get(onnx_type, "BYTES")

    def metadata(self) -> dict[str, Any]:
        return {
            "inputs": [
                {"name": i.name, "datatype": self._datatype(i.type), "shape": _shape(i.shape)} for i in self._inputs
            ],
            "outputs": [
                {"name": o.name, "datatype": self._datatype(o.type), "shape": _shape(o.shape)} for o in self._outputs
            ],
        }

    def predict(self, request: messages.InferRequest) -> messages.InferResponse:
        feed = {}
        if len(request.inputs) == 1 and len(self._inputs) == 1:
            pairs = [(self._inputs[0], request.inputs[0])]
        else:
            pairs = [(spec, request.input(spec.name)) for spec in self._inputs]
        for spec, tensor in pairs:
            dtype = tensors.numpy_dtype(self._datatype(spec.type))
            data = tensor.data
            if dtype.kind != "O" and data.dtype != dtype:
                if data.dtype == object:
                    raise errors.InvalidInput(f"input '{spec.name}' must be numbers ({self._datatype(spec.type)})")
                data = data.astype(dtype)
            feed[spec.name] = data
        wanted = [o.name for o in request.outputs] or None
        try:
            results = self.session.run(wanted, feed)
        except Exception as exc:
            raise errors.InvalidInput(f"ONNX Runtime rejected the input: {exc}") from exc
        names = wanted or [o.name for o in self._outputs]
        return messages.InferResponse(
            model_name=self.name,
            model_version=self.version,
            outputs=[
                tensors.Tensor.from_array(name=n, array=np.asarray(r)) for n, r in zip(names, results, strict=True)
            ],
        )
