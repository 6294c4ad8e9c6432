"""Request bodies: read a V1 or V2 inference request, check its shape, and grow it to a number of rows.

A payload is given inline (a JSON string) or as a file. `body(payload, rows=n)` repeats the payload's rows
(cycling through them) until the request carries `n`: V1 repeats `instances`, V2 repeats the first axis of every
input and sets `shape[0]`. The batch tuner uses this to time the batches a server-side batcher would form.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import pathlib
from typing import Any

from modelplane.loadtest import errors


@dataclasses.dataclass(frozen=True, slots=True)
class Payload:
    protocol: str
    document: dict[str, Any]

    @property
    def rows(self) -> int:
        if self.protocol == "v1":
            return len(self.document["instances"])
        return int(self.document["inputs"][0]["shape"][0])


def load(*, text: str | None = None, path: pathlib.Path | None = None, protocol: str) -> Payload:
    """Parse and check a payload given inline or as a file (exactly one of the two)."""
    if (text is None) == (path is None):
        raise errors.InvalidPayload("give the request payload either inline (--payload JSON) or as a file, not both")
    source = "--payload"
    if path is not None:
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise errors.InvalidPayload(f"cannot read payload file {path}: {exc.strerror}") from exc
    try:
        document = json.loads(text or "")
    except json.JSONDecodeError as exc:
        raise errors.InvalidPayload(f"payload from {source} is not JSON: {exc}") from exc
    return check(document=document, protocol=protocol, source=source)


def check(*, document: Any, protocol: str, source: str = "payload") -> Payload:
    if not isinstance(document, dict):
        raise errors.InvalidPayload(f"{source} must be a JSON object, got {type(document).__name__}")
    if protocol == "v1":
        instances = document.get("instances")
        if not isinstance(instances, list) or not instances:
            raise errors.InvalidPayload(
                f'{source} is not a V1 request: it needs a non-empty "instances" list, e.g. {{"instances": [[1, 2]]}}'
            )
        return Payload(protocol=protocol, document=document)
    inputs = document.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise errors.InvalidPayload(
            f'{source} is not a V2 request: it needs a non-empty "inputs" list of {{name, shape, datatype, data}}'
        )
    rows = None
    for index, tensor in enumerate(inputs):
        where = f"{source}: inputs[{index}]"
        if not isinstance(tensor, dict) or not {"name", "shape", "datatype", "data"} <= tensor.keys():
            raise errors.InvalidPayload(f"{where} must have name, shape, datatype and data")
        shape = tensor["shape"]
        if not isinstance(shape, list) or not shape or not all(isinstance(d, int) and d >= 1 for d in shape):
            raise errors.InvalidPayload(f"{where}.shape must be a list of positive integers, got {shape!r}")
        flat = _flatten(tensor["data"])
        if len(flat) != math.prod(shape):
            raise errors.InvalidPayload(f"{where} has {len(flat)} values but shape {shape} needs {math.prod(shape)}")
        if rows is not None and shape[0] != rows:
            raise errors.InvalidPayload(f"{where}.shape[0] is {shape[0]} but inputs[0] has {rows} rows")
        rows = shape[0]
    return Payload(protocol=protocol, document=document)


def body(payload: Payload, *, rows: int | None = None) -> bytes:
    """The payload as request bytes, grown or cut to `rows` rows (unchanged when `rows` is None)."""
    if rows is None:
        return json.dumps(payload.document, separators=(",", ":")).encode()
    if rows < 1:
        raise errors.InvalidPayload(f"a request needs at least one row, asked for {rows}")
    document = dict(payload.document)
    if payload.protocol == "v1":
        document["instances"] = list(itertools.islice(itertools.cycle(payload.document["instances"]), rows))
    else:
        grown = []
        for tensor in payload.document["inputs"]:
            shape = tensor["shape"]
            flat = _flatten(tensor["data"])
            per_row = len(flat) // shape[0]
            row_values = [flat[i * per_row : (i + 1) * per_row] for i in range(shape[0])]
            data = [value for row in itertools.islice(itertools.cycle(row_values), rows) for value in row]
            grown.append({**tensor, "shape": [rows, *shape[1:]], "data": data})
        document["inputs"] = grown
    return json.dumps(document, separators=(",", ":")).encode()


def answer_ok(*, protocol: str, document: Any) -> bool:
    """Whether a response body is a successful inference answer of the protocol."""
    if not isinstance(document, dict):
        return False
    if protocol == "v1":
        return "predictions" in document
    return isinstance(document.get("outputs"), list)


def _flatten(data: Any) -> list[Any]:
    if isinstance(data, list):
        return [value for item in data for value in _flatten(item)]
    return [data]
