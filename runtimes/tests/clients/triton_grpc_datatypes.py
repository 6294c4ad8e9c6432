"""Run tritonclient.grpc's BYTES, FP16 and BOOL round trip: `python triton_grpc_datatypes.py TARGET MODEL`; prints
a JSON report of what came back (bytes as latin-1 text, so any byte value survives JSON)."""

from __future__ import annotations

import json
import sys

import numpy as np
import tritonclient.grpc as triton


def main(target: str, model: str) -> None:
    client = triton.InferenceServerClient(url=target)
    inputs = {
        "words": (np.array([[b"hello", b"\x00\xff raw"], [b"", "\u00e9t\u00e9".encode()]], dtype=np.object_), "BYTES"),
        "halves": (np.array([[1.5, -2.25], [65504.0, 6.1e-05]], dtype=np.float16), "FP16"),
        "flags": (np.array([[True, False], [False, True]]), "BOOL"),
    }
    infer_inputs = []
    for name, (data, datatype) in inputs.items():
        infer_input = triton.InferInput(name, list(data.shape), datatype)
        infer_input.set_data_from_numpy(data)
        infer_inputs.append(infer_input)
    result = client.infer(model, infer_inputs)
    metadata = client.get_model_metadata(model, as_json=True)
    report: dict[str, object] = {
        "datatypes": {o["name"]: o["datatype"] for o in result.get_response(as_json=True)["outputs"]}
    }
    words = result.as_numpy("words_out")
    report["words_out"] = [[item.decode("latin-1") for item in row] for row in words.tolist()]
    halves = result.as_numpy("halves_out")
    report["halves_out"] = {"dtype": str(halves.dtype), "values": halves.astype(np.float64).tolist()}
    flags = result.as_numpy("flags_out")
    report["flags_out"] = {"dtype": str(flags.dtype), "values": flags.tolist()}
    report["metadata"] = metadata
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
