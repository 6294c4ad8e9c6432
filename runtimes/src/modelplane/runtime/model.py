"""The model base class: what every framework adapter, transformer, explainer and user model is.

A model has a name, `load()` (read files; may block, the server runs it in a worker thread), and the request
pipeline `preprocess -> predict -> postprocess`, plus `explain`. Any of the pipeline methods may be plain or
`async`. `predict` gets an `InferRequest` that the batcher may have merged from several callers, so it must treat
the first axis of every input as the batch axis. A model built with a `predictor` (a transformer) forwards
`predict` to that remote predictor by default.

`ArrayModel` is the base for the tabular frameworks: it turns the first input into a numpy array, calls
`predict_array`, and wraps the result as output `output-0`.
"""

from __future__ import annotations

import pathlib
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from modelplane.runtime import errors, messages, tensors

if TYPE_CHECKING:
    from modelplane.runtime import forwarding


class Model:
    """Subclass this for a custom model; override `load` and `predict` (and optionally the others)."""

    #: Shown as `platform` in V2 model metadata.
    platform: ClassVar[str] = "custom"
    #: True for models whose predict waits on a device and releases the GIL (PyTorch, ONNX Runtime on CUDA): the
    #: server then runs predict in a worker thread so the event loop keeps reading (and batching) requests meanwhile.
    #: A class default that an instance may change in load().
    run_in_thread: bool = False

    def __init__(
        self,
        *,
        name: str,
        model_dir: str | pathlib.Path | None = None,
        predictor: forwarding.PredictorClient | None = None,
    ) -> None:
        self.name = name
        self.model_dir = pathlib.Path(model_dir) if model_dir is not None else None
        self.predictor = predictor
        self.version: str | None = None
        self.ready = False

    def load(self) -> None:
        """Read the model's files. The default has nothing to read."""
        self.ready = True

    def preprocess(self, request: messages.InferRequest) -> Any:
        """Runs once per caller before batching; returns the (new) request."""
        return request

    def predict(self, request: messages.InferRequest) -> Any:
        """Returns an `InferResponse` (or an awaitable of one) with one row per input row."""
        if self.predictor is not None:
            return self.predictor.infer(request)
        raise errors.InferenceError(
            f"model '{self.name}' defines no predict() and was started without --predictor_host; "
            "override predict() or pass --predictor_host"
        )

    def postprocess(self, response: messages.InferResponse, request: messages.InferRequest) -> Any:
        """Runs once per caller after the batch is split; returns the (new) response."""
        return response

    def explain(self, request: messages.InferRequest) -> Any:
        """Returns a JSON-serialisable explanation (V1 `:explain`)."""
        raise errors.InvalidInput(f"model '{self.name}' has no explainer; it serves :predict only")

    def metadata(self) -> dict[str, Any]:
        """V2 model metadata beyond name/versions/platform: `inputs` and `outputs` tensor descriptions."""
        return {"inputs": [], "outputs": []}

    def unload(self) -> None:
        """Release resources; called when the model is removed from the repository."""
        self.ready = False


class ArrayModel(Model):
    """A model over one numeric matrix: rows are instances, columns are features."""

    output_name: ClassVar[str] = "output-0"
    input_datatype: ClassVar[str] = "FP64"

    def n_features(self) -> int | None:
        """Number of input columns, when the model knows it (used for metadata and input checks)."""
        return None

    def predict_array(self, array: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def as_array(self, request: messages.InferRequest) -> np.ndarray:
        if len(request.inputs) != 1:
            raise errors.InvalidInput(f"model '{self.name}' takes exactly one input tensor, got {len(request.inputs)}")
        data = request.inputs[0].data
        if data.dtype == object or data.dtype.kind not in "biuf":
            raise errors.InvalidInput(
                f"model '{self.name}' takes numbers; input '{request.inputs[0].name}' is {request.inputs[0].datatype}"
            )
        if data.ndim == 1:
            data = data.reshape(1, -1)
        expected = self.n_features()
        if data.ndim != 2 or (expected is not None and data.shape[1] != expected):
            want = f"[N, {expected}]" if expected is not None else "[N, features]"
            raise errors.InvalidInput(f"model '{self.name}' expects input of shape {want}, got {list(data.shape)}")
        return data

    def predict(self, request: messages.InferRequest) -> messages.InferResponse:
        result = self.predict_array(self.as_array(request))
        return messages.InferResponse(
            model_name=self.name,
            model_version=self.version,
            outputs=[tensors.Tensor.from_array(name=self.output_name, array=result)],
        )

    def explain(self, request: messages.InferRequest) -> Any:
        from modelplane.runtime import explaining

        return explaining.explain_tabular(model=self, array=self.as_array(request))

    def metadata(self) -> dict[str, Any]:
        columns = self.n_features()
        return {
            "inputs": [{"name": "input-0", "datatype": self.input_datatype, "shape": [-1, columns or -1]}],
            "outputs": [{"name": self.output_name, "datatype": "FP64", "shape": [-1]}],
        }
