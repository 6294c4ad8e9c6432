"""Run the kserve SDK's gRPC client against a server: `python kserve_grpc.py TARGET MODEL`; prints JSON."""

from __future__ import annotations

import asyncio
import json
import sys

import numpy as np
from kserve import InferenceGRPCClient, InferInput, InferRequest


async def main(target: str, model: str) -> None:
    client = InferenceGRPCClient(url=target)
    data = np.array([[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]], dtype=np.float32)
    infer_input = InferInput(name="input-0", shape=list(data.shape), datatype="FP32")
    infer_input.set_data_from_numpy(data)
    response = await client.infer(InferRequest(model_name=model, infer_inputs=[infer_input], request_id="k-1"))
    report = {
        "live": await client.is_server_live(),
        "ready": await client.is_server_ready(),
        "model_ready": await client.is_model_ready(model),
        "predictions": response.outputs[0].as_numpy().tolist(),
    }
    await client.close()
    print(json.dumps(report))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
