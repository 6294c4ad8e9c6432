"""The one internal request and response type.

V1 REST, V2 REST and V2 gRPC decode into `InferRequest` and encode out of `InferResponse`; models, the batcher and
the data plane know no protocol. `RequestedOutput` carries the V2 `outputs` selection (and its `binary_data` flag).
`ModelSource` is what a repository-extension load asks for: where the model's files are and what format they hold.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from modelplane.runtime import errors, tensors


class Protocol(enum.Enum):
    """Which edge a request came through; used for metrics and for the shape of the answer."""

    V1 = "v1"
    V2 = "v2"
    GRPC = "grpc-v2"


@dataclasses.dataclass(slots=True)
class RequestedOutput:
    name: str
    parameters: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(slots=True)
class InferRequest:
    """One inference request for one model. `rows` is the batch dimension (first axis of the first input)."""

    model_name: str
    inputs: list[tensors.Tensor]
    protocol: Protocol = Protocol.V2
    id: str | None = None
    model_version: str | None = None
    parameters: dict[str, Any] = dataclasses.field(default_factory=dict)
    outputs: list[RequestedOutput] = dataclasses.field(default_factory=list)
    headers: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def rows(self) -> int:
        if not self.inputs or not self.inputs[0].data.ndim:
            return 1
        return int(self.inputs[0].data.shape[0])

    def input(self, name: str) -> tensors.Tensor:
        for tensor in self.inputs:
            if tensor.name == name:
                return tensor
        raise errors.InvalidInput(f"input '{name}' is missing; the request has {[t.name for t in self.inputs]}")


@dataclasses.dataclass(slots=True)
class InferResponse:
    model_name: str
    outputs: list[tensors.Tensor]
    id: str | None = None
    model_version: str | None = None
    parameters: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, slots=True)
class ModelSource:
    """Where a model loaded at run time comes from: a storage URI to fetch and the format of its files (either may
    be absent: the model's folder under --model_dir, the format detected from its files)."""

    storage_uri: str | None = None
    model_format: str | None = None
