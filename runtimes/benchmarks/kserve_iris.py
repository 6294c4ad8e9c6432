"""KServe 0.21's Python ModelServer serving the iris model, for the side-by-side benchmark (run in its own venv).

`python kserve_iris.py MODEL_FILE PORT`. The model mirrors KServe's sklearn server (V1 dicts, V2 InferRequest).
KServe binds 0.0.0.0 with no flag to change it, so uvicorn's Config is forced to 127.0.0.1 before the server
starts; gRPC is off.
"""

from __future__ import annotations

import sys
import uuid

import joblib
import uvicorn

_config_init = uvicorn.Config.__init__


def _local_only(self, *args, **kwargs):  # type: ignore[no-untyped-def]
    kwargs["host"] = "127.0.0.1"
    _config_init(self, *args, **kwargs)


uvicorn.Config.__init__ = _local_only  # type: ignore[method-assign]

import kserve  # noqa: E402
from kserve import InferOutput, InferRequest, InferResponse  # noqa: E402


class Iris(kserve.Model):
    def __init__(self, name: str, path: str) -> None:
        super().__init__(name)
        self.model = joblib.load(path)
        self.ready = True

    def predict(self, payload, headers=None):  # type: ignore[no-untyped-def]
        if isinstance(payload, InferRequest):
            result = self.model.predict(payload.inputs[0].as_numpy())
            output = InferOutput(
                name="output-0",
                shape=list(result.shape),
                datatype="INT64",
                data=result.tolist(),
            )
            return InferResponse(
                model_name=self.name, infer_outputs=[output], response_id=payload.id or str(uuid.uuid4())
            )
        return {"predictions": self.model.predict(payload["instances"]).tolist()}


if __name__ == "__main__":
    model_file, port = sys.argv[1], int(sys.argv[2])
    sys.argv = sys.argv[:1]
    kserve.ModelServer(http_port=port, enable_grpc=False).start([Iris("iris", model_file)])
