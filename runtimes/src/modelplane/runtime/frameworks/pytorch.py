"""TorchScript models (`torch.jit.save` -> `.pt`), on CUDA when present, else CPU.

torch is the optional `torch` extra. Predict runs in a worker thread, so the event loop keeps reading (and batching)
requests while the device computes.

V2 metadata comes from the module as far as TorchScript records it: the names of `forward`'s arguments, the number
of outputs it returns, and the datatype of its floating-point parameters (FP16 for a half-precision model; a module
without parameters reports torch's default dtype). TorchScript keeps no shapes, so without more they are `[-1]`.
A metadata document gives the rest: `metadata.json` beside the `.pt` file, or the same document stored inside it
(`torch.jit.save(module, path, _extra_files={"metadata.json": ...})`; a file beside it wins):

    {"inputs": [{"name": "x", "datatype": "FP16", "shape": [-1, 3, 224, 224]}],
     "outputs": [{"name": "logits", "datatype": "FP16", "shape": [-1, 1000]}]}

Inputs are passed to `forward` by name when the request's names are the module's, else in the order the request
lists them. Without a document FP16 inputs stay FP16; with one, numeric inputs are cast to the datatype it gives
(so an FP32 client can call an FP16 model). Outputs take the document's names, else `output-0`, `output-1`...
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import orjson
from modelplane.runtime import errors, messages, model, tensors
from modelplane.runtime.frameworks import files

SUFFIXES = (".pt", ".pth", ".torchscript")
METADATA_FILE = "metadata.json"
_DATATYPE_BY_TORCH = {"torch.float16": "FP16", "torch.float32": "FP32", "torch.float64": "FP64"}


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
        embedded = {METADATA_FILE: ""}
        try:
            with warnings.catch_warnings():
                # Recent torch calls TorchScript deprecated in favour of torch.export (a DeprecationWarning in 2.11,
                # a FutureWarning in 2.15); it still loads and runs.
                warnings.simplefilter("ignore", FutureWarning)
                warnings.simplefilter("ignore", DeprecationWarning)
                self.module = torch.jit.load(str(path), map_location=self.device, _extra_files=embedded)
        except Exception as exc:
            raise errors.ModelLoadError(f"{path.name} is not a TorchScript file: {exc}") from exc
        self.module.eval()
        sidecar = path.parent / METADATA_FILE
        if sidecar.is_file():
            document: Any = _parse(sidecar.read_bytes(), where=str(sidecar))
        elif embedded[METADATA_FILE]:
            document = _parse(embedded[METADATA_FILE], where=f"{METADATA_FILE} inside {path.name}")
        else:
            document = None
        self._described = describe(self.module, document=document, default_dtype=str(torch.get_default_dtype()))
        self._documented = document is not None
        self.ready = True

    def metadata(self) -> dict[str, Any]:
        return self._described

    def predict(self, request: messages.InferRequest) -> messages.InferResponse:
        torch = self._torch
        described_inputs = self._described["inputs"]
        by_name = {tensor.name: tensor for tensor in request.inputs}
        names = [item["name"] for item in described_inputs]
        ordered = [by_name[name] for name in names] if set(by_name) == set(names) else request.inputs
        arguments = []
        for index, tensor in enumerate(ordered):
            if tensor.data.dtype == object:
                raise errors.InvalidInput(f"input '{tensor.name}' must be numbers for a TorchScript model")
            data = tensor.data
            if self._documented and index < len(described_inputs):
                data = data.astype(tensors.numpy_dtype(described_inputs[index]["datatype"]), copy=False)
            # Contiguous and writable: binary request data is a read-only view of the body, which torch will not take.
            array = np.require(data, requirements=["C_CONTIGUOUS", "WRITEABLE"])
            arguments.append(torch.from_numpy(array).to(self.device, non_blocking=True))
        with torch.inference_mode():
            try:
                result = self.module(*arguments)
            except RuntimeError as exc:
                raise errors.InvalidInput(f"the TorchScript module rejected the input: {exc}") from exc
        results = result if isinstance(result, tuple | list) else [result]
        outputs = self._described["outputs"]
        return messages.InferResponse(
            model_name=self.name,
            model_version=self.version,
            outputs=[
                tensors.Tensor.from_array(
                    name=outputs[index]["name"] if index < len(outputs) else f"output-{index}",
                    array=value.detach().cpu().numpy(),
                )
                for index, value in enumerate(results)
            ],
        )


def describe(module: Any, *, document: dict[str, Any] | None, default_dtype: str) -> dict[str, Any]:
    """V2 `inputs`/`outputs` of a loaded TorchScript module: from the metadata document where it has one, checked
    against the module's signature, else from what the module itself records."""
    schema = module.forward.schema
    arguments = [argument for argument in schema.arguments[1:] if not argument.has_default_value()]
    returns = schema.returns[0].type if schema.returns else None
    output_count = len(returns.elements()) if returns is not None and returns.kind() == "TupleType" else 1
    if document is not None:
        if len(document["inputs"]) != len(arguments):
            raise errors.ModelLoadError(
                f"{METADATA_FILE} describes {len(document['inputs'])} inputs but forward() takes {len(arguments)} "
                f"({', '.join(a.name for a in arguments)})"
            )
        if len(document["outputs"]) != output_count:
            raise errors.ModelLoadError(
                f"{METADATA_FILE} describes {len(document['outputs'])} outputs but forward() returns {output_count}"
            )
        return document
    floating = [str(p.dtype) for p in module.parameters() if p.dtype.is_floating_point]
    datatype = _DATATYPE_BY_TORCH.get(floating[0] if floating else default_dtype, "FP32")
    return {
        "inputs": [{"name": a.name, "datatype": datatype, "shape": [-1]} for a in arguments],
        "outputs": [{"name": f"output-{i}", "datatype": datatype, "shape": [-1]} for i in range(output_count)],
    }


def _parse(raw: bytes | str, *, where: str) -> dict[str, Any]:
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise errors.ModelLoadError(f"{where} is not valid JSON: {exc}") from exc
    if not isinstance(document, dict) or set(document) != {"inputs", "outputs"}:
        raise errors.ModelLoadError(f'{where} must be an object with "inputs" and "outputs" lists')
    for key in ("inputs", "outputs"):
        items = document[key]
        if not isinstance(items, list) or not items:
            raise errors.ModelLoadError(f'"{key}" in {where} must be a non-empty list')
        for item in items:
            if (
                not isinstance(item, dict)
                or set(item) != {"name", "datatype", "shape"}
                or not isinstance(item["name"], str)
                or not item["name"]
            ):
                raise errors.ModelLoadError(
                    f'each of "{key}" in {where} is {{"name", "datatype", "shape"}}; got {item!r}'
                )
            if item["datatype"] not in tensors.DATATYPES or item["datatype"] == "BYTES":
                raise errors.ModelLoadError(
                    f"{where}: {key} '{item['name']}' has datatype {item['datatype']!r}; a tensor datatype like FP32"
                )
            shape = item["shape"]
            if not isinstance(shape, list) or not all(
                isinstance(d, int) and not isinstance(d, bool) and d >= -1 for d in shape
            ):
                raise errors.ModelLoadError(
                    f"{where}: {key} '{item['name']}' has shape {shape!r}; a list of sizes, -1 for any"
                )
    return document
