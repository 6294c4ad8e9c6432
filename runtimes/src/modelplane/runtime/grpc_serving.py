"""The gRPC edge: `inference.GRPCInferenceService` on grpc.aio, in the same event loop as the HTTP edge.

Handlers are registered as a generic handler for the service name, with (de)serialisers from the protocol's message
classes, so no generated stub module is needed. Domain errors map to gRPC status codes the way the HTTP edge maps
them to HTTP statuses.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from grpc import aio
from modelplane.runtime import dataplane, errors, http_app, metrics
from modelplane.runtime.payloads import delivering
from modelplane.runtime.protocols import grpc_v2, v2

log = logging.getLogger(__name__)

_CODE_BY_STATUS = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    404: grpc.StatusCode.NOT_FOUND,
    405: grpc.StatusCode.UNIMPLEMENTED,
    413: grpc.StatusCode.RESOURCE_EXHAUSTED,
    409: grpc.StatusCode.FAILED_PRECONDITION,
    415: grpc.StatusCode.INVALID_ARGUMENT,
    500: grpc.StatusCode.INTERNAL,
    502: grpc.StatusCode.UNAVAILABLE,
    503: grpc.StatusCode.UNAVAILABLE,
}


def status_code(error: errors.ModelServerError) -> grpc.StatusCode:
    status = http_app.status_of(error)
    return _CODE_BY_STATUS.get(status, grpc.StatusCode.INVALID_ARGUMENT if status < 500 else grpc.StatusCode.INTERNAL)


class InferenceService:
    def __init__(
        self,
        *,
        plane: dataplane.DataPlane,
        metrics_sink: metrics.Metrics,
        settings: http_app.HttpSettings,
        payloads: delivering.PayloadLogger | None = None,
    ) -> None:
        self._plane = plane
        self._payloads = payloads
        self._metrics = metrics_sink
        self._settings = settings
        self._classes = grpc_v2.message_classes()

    def handler(self) -> grpc.GenericRpcHandler:
        classes = self._classes

        def unary(method: Callable[[Any, Any], Awaitable[Any]], request: str, response: str) -> Any:
            return grpc.unary_unary_rpc_method_handler(
                method,
                request_deserializer=classes[request].FromString,
                response_serializer=classes[response].SerializeToString,
            )

        return grpc.method_handlers_generic_handler(
            grpc_v2.SERVICE,
            {
                "ServerLive": unary(self.server_live, "ServerLiveRequest", "ServerLiveResponse"),
                "ServerReady": unary(self.server_ready, "ServerReadyRequest", "ServerReadyResponse"),
                "ModelReady": unary(self.model_ready, "ModelReadyRequest", "ModelReadyResponse"),
                "ServerMetadata": unary(self.server_metadata, "ServerMetadataRequest", "ServerMetadataResponse"),
                "ModelMetadata": unary(self.model_metadata, "ModelMetadataRequest", "ModelMetadataResponse"),
                "ModelInfer": unary(self.model_infer, "ModelInferRequest", "ModelInferResponse"),
                "RepositoryModelLoad": unary(
                    self.repository_load, "RepositoryModelLoadRequest", "RepositoryModelLoadResponse"
                ),
                "RepositoryModelUnload": unary(
                    self.repository_unload, "RepositoryModelUnloadRequest", "RepositoryModelUnloadResponse"
                ),
            },
        )

    async def _abort(self, context: aio.ServicerContext, exc: errors.ModelServerError) -> None:
        await context.abort(status_code(exc), exc.message)

    async def server_live(self, request: Any, context: aio.ServicerContext) -> Any:
        return self._classes["ServerLiveResponse"](live=True)

    async def server_ready(self, request: Any, context: aio.ServicerContext) -> Any:
        models = self._plane.models
        return self._classes["ServerReadyResponse"](ready=models.all_ready())

    async def model_ready(self, request: Any, context: aio.ServicerContext) -> Any:
        try:
            ready = self._plane.models.is_ready(request.name)
        except errors.ModelServerError as exc:
            await self._abort(context, exc)
        return self._classes["ModelReadyResponse"](ready=ready)

    async def server_metadata(self, request: Any, context: aio.ServicerContext) -> Any:
        return self._classes["ServerMetadataResponse"](
            name=self._settings.server_name,
            version=self._settings.server_version,
            extensions=["model_repository"],
        )

    async def model_metadata(self, request: Any, context: aio.ServicerContext) -> Any:
        try:
            item = self._plane.models.get_ready(request.name)
            described = v2.model_metadata(
                name=item.name, version=item.version, platform=item.platform, described=item.metadata()
            )
        except errors.ModelServerError as exc:
            await self._abort(context, exc)
        kind = self._classes["ModelMetadataResponse"]
        reply = kind(name=described["name"], versions=described["versions"], platform=described["platform"])
        for field in ("inputs", "outputs"):
            for tensor in described[field]:
                getattr(reply, field).add(name=tensor["name"], datatype=tensor["datatype"], shape=tensor["shape"])
        return reply

    async def model_infer(self, request: Any, context: aio.ServicerContext) -> Any:
        started = time.perf_counter()
        code = 200
        name = request.model_name
        self._metrics.in_flight += 1
        try:
            internal = grpc_v2.decode(request)
            logger = self._payloads
            if logger is None:
                return grpc_v2.encode(await self._plane.infer(internal), internal)
            # Payload logs carry the V2 JSON form of gRPC traffic, so one sink reads both protocols.
            request_id = internal.id or str(uuid.uuid4())
            logger.submit_request(
                request_id=request_id,
                model_name=name,
                body=v2.encode_request(internal),
                content_type="application/json",
            )
            response = await self._plane.infer(internal)
            body, json_length = v2.encode(response, internal)
            logger.submit_response(
                request_id=request_id,
                model_name=name,
                body=body,
                content_type="application/json" if json_length is None else "application/octet-stream",
            )
            return grpc_v2.encode(response, internal)
        except errors.ModelServerError as exc:
            code = http_app.status_of(exc)
            await self._abort(context, exc)
        except Exception as exc:
            code = 500
            log.exception("unexpected error in ModelInfer")
            await context.abort(grpc.StatusCode.INTERNAL, f"internal error: {type(exc).__name__}: {exc}")
        finally:
            self._metrics.in_flight -= 1
            self._metrics.observe(
                model=name if name in self._plane.models else "-",
                protocol="grpc-v2",
                seconds=time.perf_counter() - started,
                code=code,
            )

    async def repository_load(self, request: Any, context: aio.ServicerContext) -> Any:
        try:
            await self._plane.models.load(request.model_name, at_run_time=True)
        except errors.ModelServerError as exc:
            await self._abort(context, exc)
        return self._classes["RepositoryModelLoadResponse"](model_name=request.model_name, isLoaded=True)

    async def repository_unload(self, request: Any, context: aio.ServicerContext) -> Any:
        try:
            await self._plane.models.unload(request.model_name)
        except errors.ModelServerError as exc:
            await self._abort(context, exc)
        return self._classes["RepositoryModelUnloadResponse"](model_name=request.model_name, isUnloaded=True)


def build_server(
    *, service: InferenceService, host: str, port: int, max_message_bytes: int, reuse_port: bool = False
) -> tuple[aio.Server, int]:
    """A started-ready (not yet started) grpc.aio server and the port it bound (useful when port is 0). With
    `reuse_port`, the worker processes of one server share the port; otherwise a port in use is an error."""
    server = aio.server(
        options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
            ("grpc.so_reuseport", 1 if reuse_port else 0),
        ]
    )
    server.add_generic_rpc_handlers((service.handler(),))
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise OSError(f"cannot bind gRPC to {host}:{port}")
    return server, bound
