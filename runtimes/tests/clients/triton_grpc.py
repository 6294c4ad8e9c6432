"""Run tritonclient.grpc against a server: `python triton_grpc.py TARGET MODEL`; prints a JSON report."""

from __future__ import annotations

import json
import sys

import numpy as np
import tritonclient.grpc as triton
from tritonclient.utils import InferenceServerException


def main(target: str, model: str) -> None:
    client = triton.InferenceServerClient(url=target)
    report: dict[str, object] = {
        "live": client.is_server_live(),
        "ready": client.is_server_ready(),
        "model_ready": client.is_model_ready(model),
        "server_metadata": client.get_server_metadata(as_json=True),
        "model_metadata": client.get_model_metadata(model, as_json=True),
    }
    data = np.array([[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]], dtype=np.float64)
    infer_input = triton.InferInput("input-0", list(data.shape), "FP64")
    infer_input.set_data_from_numpy(data)
    result = client.infer(model, [infer_input], request_id="grpc-1")
    report["predictions"] = result.as_numpy("output-0").tolist()
    report["id"] = result.get_response().id
    bad = triton.InferInput("input-0", [1, 2], "FP64")
    bad.set_data_from_numpy(np.zeros((1, 2)))
    try:
        client.infer(model, [bad])
        report["bad"] = "accepted"
    except InferenceServerException as exc:
        report["bad"] = {"status": exc.status(), "message": exc.message()}
    try:
        client.infer("no-such-model", [infer_input])
        report["missing"] = "accepted"
    except InferenceServerException as exc:
        report["missing"] = {"status": exc.status(), "message": exc.message()}
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
