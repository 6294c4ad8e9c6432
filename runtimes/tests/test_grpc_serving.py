"""The gRPC edge in-process: a grpc.aio server on 127.0.0.1 called through a channel with our own message
classes: liveness, readiness, metadata, inference with raw contents, repository load/unload, and the mapping of
domain errors to status codes (INVALID_ARGUMENT, NOT_FOUND, UNAVAILABLE, INTERNAL)."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import numpy as np
import pytest
from grpc import aio
from modelplane.runtime import dataplane, grpc_serving, http_app, messages, metrics, model, repository, tensors
from modelplane.runtime.protocols import grpc_v2


class Square(model.Model):
    platform = "square"

    def predict(self, request: messages.InferRequest) -> messages.InferResponse:
        data = request.inputs[0].data
        if (data < 0).any():
            raise ArithmeticError("negative")
        return messages.InferResponse(
            model_name=self.name, outputs=[tensors.Tensor.from_array(name="sq", array=data**2)]
        )


def run(check: Any) -> None:
    async def main() -> None:
        models = repository.ModelRepository(loader=lambda name, source: Square(name=name))
        await models.load("sq")
        models.add(Square(name="cold"))
        plane = dataplane.DataPlane(models=models)
        service = grpc_serving.InferenceService(
            plane=plane, metrics_sink=metrics.Metrics(), settings=http_app.HttpSettings()
        )
        server, port = grpc_serving.build_server(service=service, host="127.0.0.1", port=0, max_message_bytes=1 << 20)
        await server.start()
        classes = grpc_v2.message_classes()
        async with aio.insecure_channel(f"127.0.0.1:{port}") as channel:

            async def call(method: str, request: Any) -> Any:
                response_class = classes[type(request).__name__.replace("Request", "Response")]
                stub = channel.unary_unary(
                    f"/inference.GRPCInferenceService/{method}",
                    request_serializer=type(request).SerializeToString,
                    response_deserializer=response_class.FromString,
                )
                return await stub(request, timeout=10)

            await check(call, classes)
        await server.stop(0)

    asyncio.run(main())


def infer_request(classes: dict[str, Any], model_name: str, values: list[float]) -> Any:
    data = np.asarray(values, dtype=np.float32)
    return classes["ModelInferRequest"](
        model_name=model_name,
        inputs=[{"name": "x", "datatype": "FP32", "shape": [len(values)]}],
        raw_input_contents=[data.tobytes()],
    )


def test_health_metadata_infer() -> None:
    async def check(call: Any, classes: dict[str, Any]) -> None:
        assert (await call("ServerLive", classes["ServerLiveRequest"]())).live
        assert not (await call("ServerReady", classes["ServerReadyRequest"]())).ready  # "cold" is not loaded
        assert (await call("ModelReady", classes["ModelReadyRequest"](name="sq"))).ready
        meta = await call("ServerMetadata", classes["ServerMetadataRequest"]())
        assert meta.name == "modelplane"
        model_meta = await call("ModelMetadata", classes["ModelMetadataRequest"](name="sq"))
        assert model_meta.platform == "square"
        reply = await call("ModelInfer", infer_request(classes, "sq", [1.0, 2.0, 3.0]))
        assert reply.outputs[0].name == "sq"
        assert np.frombuffer(reply.raw_output_contents[0], dtype="<f4").tolist() == [1.0, 4.0, 9.0]
        loaded = await call("RepositoryModelLoad", classes["RepositoryModelLoadRequest"](model_name="more"))
        assert loaded.isLoaded
        unloaded = await call("RepositoryModelUnload", classes["RepositoryModelUnloadRequest"](model_name="more"))
        assert unloaded.isUnloaded

    run(check)


@pytest.mark.parametrize(
    ("model_name", "values", "code", "message"),
    [
        ("nope", [1.0], grpc.StatusCode.NOT_FOUND, "'nope' is not in"),
        ("cold", [1.0], grpc.StatusCode.UNAVAILABLE, "'cold' is not ready"),
        ("sq", [-1.0], grpc.StatusCode.INTERNAL, "ArithmeticError: negative"),
        ("", [1.0], grpc.StatusCode.INVALID_ARGUMENT, "model_name is empty"),
    ],
)
def test_errors(model_name: str, values: list[float], code: grpc.StatusCode, message: str) -> None:
    async def check(call: Any, classes: dict[str, Any]) -> None:
        with pytest.raises(aio.AioRpcError) as caught:
            await call("ModelInfer", infer_request(classes, model_name, values))
        assert caught.value.code() == code
        assert message in (caught.value.details() or "")

    run(check)
