"""The REST edge: a plain ASGI application serving V1, V2, the repository extension, health, metrics and OpenAPI.

No framework: routes are a dict of fixed paths plus three precompiled patterns, bodies are read with a size limit
(413 before reading when Content-Length is already too big), JSON goes through orjson. Domain errors become
`{"error": "..."}` with the status the KServe protocol gives them; anything else is logged with its traceback and
answered 500 with a one-line message. With a payload logger, each inference body and answer body is handed to it
(it queues and returns at once) under one request id: the V2 `id`, else the `x-request-id` header, else a UUID.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from modelplane.runtime import dataplane, errors, messages, metrics, openapi
from modelplane.runtime.payloads import delivering
from modelplane.runtime.protocols import v1, v2

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

STATUS_BY_ERROR: dict[type[errors.ModelServerError], int] = {
    errors.InvalidInput: 400,
    errors.ModelNotFound: 404,
    errors.RouteNotFound: 404,
    errors.SourceNotFound: 404,
    errors.MethodNotAllowed: 405,
    errors.Conflict: 409,
    errors.PayloadTooLarge: 413,
    errors.UnsupportedMediaType: 415,
    errors.InferenceError: 500,
    errors.ModelLoadError: 500,
    errors.ModelNotReady: 503,
}

_JSON = [(b"content-type", b"application/json")]
_V1_MODEL = re.compile(r"^/v1/models/([^/:]+)(?::(predict|explain))?$")
_V2_MODEL = re.compile(r"^/v2/models/([^/]+)(?:/versions/([^/]+))?(?:/(ready|infer))?$")
_V2_REPOSITORY = re.compile(r"^/v2/repository/models/([^/]+)/(load|unload)$")


@dataclasses.dataclass(frozen=True, slots=True)
class HttpSettings:
    max_body_bytes: int = 16 * 1024 * 1024
    server_name: str = "modelplane"
    server_version: str = "0.1.0"


def status_of(error: errors.ModelServerError) -> int:
    if isinstance(error, errors.UpstreamError):
        return error.status
    for kind in type(error).__mro__:
        status = STATUS_BY_ERROR.get(kind)
        if status is not None:
            return status
    return 500


class HttpApp:
    """The ASGI callable. Build one per server; it holds no global state."""

    def __init__(
        self,
        *,
        plane: dataplane.DataPlane,
        metrics_sink: metrics.Metrics,
        settings: HttpSettings,
        payloads: delivering.PayloadLogger | None = None,
    ) -> None:
        self._plane = plane
        self._payloads = payloads
        self._metrics = metrics_sink
        self._settings = settings
        self._openapi = orjson.dumps(openapi.document(version=settings.server_version))
        self._fixed: dict[str, dict[str, Callable[[], Awaitable[tuple[int, Any]]]]] = {
            "/": {"GET": self._alive},
            "/v1/models": {"GET": self._v1_models},
            "/v2": {"GET": self._server_metadata},
            "/v2/health/live": {"GET": self._alive},
            "/v2/health/ready": {"GET": self._server_ready},
            "/v2/repository/index": {"POST": self._repository_index},
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await _lifespan(receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        method: str = scope["method"]
        path: str = scope["path"]
        try:
            fixed = self._fixed.get(path)
            if fixed is not None:
                handler = fixed.get(method)
                if handler is None:
                    raise errors.MethodNotAllowed(f"{path} does not accept {method}; use {', '.join(fixed)}")
                status, document = await handler()
                await _send(send, status, v1.dump(document))
                return
            if path == "/metrics" or path == "/openapi.json":
                _require(method, "GET", path)
                if path == "/metrics":
                    await _send(
                        send, 200, self._metrics.render(), headers=[(b"content-type", b"text/plain; version=0.0.4")]
                    )
                else:
                    await _send(send, 200, self._openapi)
                return
            match = _V1_MODEL.match(path)
            if match is not None:
                await self._v1(scope, receive, send, method=method, name=match[1], verb=match[2])
                return
            match = _V2_MODEL.match(path)
            if match is not None:
                await self._v2(scope, receive, send, method=method, name=match[1], version=match[2], verb=match[3])
                return
            match = _V2_REPOSITORY.match(path)
            if match is not None:
                _require(method, "POST", path)
                body = await _read_body(scope, receive, self._settings.max_body_bytes)
                status, document = await self._repository(name=match[1], action=match[2], body=body)
                await _send(send, status, v1.dump(document))
                return
            raise errors.RouteNotFound(
                f"no endpoint at {path}; V1 is under /v1/models/..., V2 under /v2/..., GET /openapi.json lists them"
            )
        except errors.ModelServerError as exc:
            await _send_error(send, exc)
        except Exception as exc:
            log.exception("unexpected error serving %s %s", method, path)
            await _send(send, 500, v1.dump({"error": f"internal error: {type(exc).__name__}: {exc}"}))

    # --- V1 -------------------------------------------------------------------------------------------------
    async def _v1(
        self, scope: Scope, receive: Receive, send: Send, *, method: str, name: str, verb: str | None
    ) -> None:
        if verb is None:
            _require(method, "GET", scope["path"])
            item = self._plane.models.get(name)
            await _send(send, 200, v1.dump({"name": name, "ready": item.ready}))
            return
        _require(method, "POST", scope["path"])
        started = time.perf_counter()
        code = 200
        self._metrics.in_flight += 1
        try:
            body = await _read_body(scope, receive, self._settings.max_body_bytes)
            request = v1.decode(body=body, model_name=name)
            request.headers = _header_map(scope)
            request_id = self._log_request(request, body, "application/json")
            if verb == "predict":
                payload = v1.encode(await self._plane.infer(request))
            else:
                payload = v1.encode_explanation(await self._plane.explain(request))
            if request_id is not None:
                self._log_response(request_id, name, payload, "application/json")
        except errors.ModelServerError as exc:
            code = status_of(exc)
            raise
        finally:
            self._metrics.in_flight -= 1
            self._metrics.observe(
                model=name if name in self._plane.models else "-",
                protocol="v1",
                seconds=time.perf_counter() - started,
                code=code,
            )
        await _send(send, 200, payload)

    # --- V2 -------------------------------------------------------------------------------------------------
    async def _v2(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        method: str,
        name: str,
        version: str | None,
        verb: str | None,
    ) -> None:
        if verb != "infer":
            _require(method, "GET", scope["path"])
            if verb == "ready":
                ready = self._plane.models.is_ready(name)
                await _send(send, 200 if ready else 503, v1.dump({"name": name, "ready": ready}))
                return
            item = self._plane.models.get_ready(name)
            document = v2.model_metadata(
                name=name, version=item.version, platform=item.platform, described=item.metadata()
            )
            await _send(send, 200, v1.dump(document))
            return
        _require(method, "POST", scope["path"])
        started = time.perf_counter()
        code = 200
        self._metrics.in_flight += 1
        try:
            body = await _read_body(scope, receive, self._settings.max_body_bytes)
            request = v2.decode(body=body, model_name=name, model_version=version, header_length=_header_length(scope))
            request_id = self._log_request(request, body, _content_type(scope))
            response = await self._plane.infer(request)
            payload, json_length = v2.encode(response, request)
            if request_id is not None:
                kind = "application/json" if json_length is None else "application/octet-stream"
                self._log_response(request_id, name, payload, kind)
        except errors.ModelServerError as exc:
            code = status_of(exc)
            raise
        finally:
            self._metrics.in_flight -= 1
            self._metrics.observe(
                model=name if name in self._plane.models else "-",
                protocol="v2",
                seconds=time.perf_counter() - started,
                code=code,
            )
        if json_length is None:
            await _send(send, 200, payload)
        else:
            await _send(
                send,
                200,
                payload,
                headers=[
                    (b"content-type", b"application/octet-stream"),
                    (b"inference-header-content-length", str(json_length).encode()),
                ],
            )

    def _log_request(self, request: messages.InferRequest, body: bytes, content_type: str) -> str | None:
        if self._payloads is None:
            return None
        request_id = request.id or request.headers.get("x-request-id") or str(uuid.uuid4())
        self._payloads.submit_request(
            request_id=request_id, model_name=request.model_name, body=body, content_type=content_type
        )
        return request_id

    def _log_response(self, request_id: str, name: str, body: bytes, content_type: str) -> None:
        if self._payloads is not None:
            self._payloads.submit_response(request_id=request_id, model_name=name, body=body, content_type=content_type)

    async def _alive(self) -> tuple[int, Any]:
        return 200, {"status": "alive", "live": True}

    async def _server_ready(self) -> tuple[int, Any]:
        ready = self._plane.models.all_ready()
        return (200 if ready else 503), {"ready": ready}

    async def _server_metadata(self) -> tuple[int, Any]:
        return 200, {
            "name": self._settings.server_name,
            "version": self._settings.server_version,
            "extensions": ["binary_tensor_data", "model_repository"],
        }

    async def _v1_models(self) -> tuple[int, Any]:
        return 200, {"models": self._plane.models.names()}

    async def _repository_index(self) -> tuple[int, Any]:
        index = []
        for name in self._plane.models.names():
            ready = self._plane.models.is_ready(name)
            index.append({"name": name, "state": "READY" if ready else "UNAVAILABLE"})
        return 200, index

    async def _repository(self, *, name: str, action: str, body: bytes) -> tuple[int, Any]:
        if action == "load":
            await self._plane.models.load(name, source=v2.decode_load(body), at_run_time=True)
            return 200, {"name": name, "load": True}
        await self._plane.models.unload(name)
        return 200, {"name": name, "unload": True}


def _require(method: str, allowed: str, path: str) -> None:
    if method != allowed:
        raise errors.MethodNotAllowed(f"{path} does not accept {method}; use {allowed}")


def _header_map(scope: Scope) -> dict[str, str]:
    return {key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]}


def _content_type(scope: Scope) -> str:
    for key, value in scope["headers"]:
        if key == b"content-type":
            return str(value.decode("latin-1"))
    return "application/json"


def _header_length(scope: Scope) -> int | None:
    for key, value in scope["headers"]:
        if key == b"inference-header-content-length":
            try:
                return int(value)
            except ValueError:
                raise errors.InvalidInput(
                    f"Inference-Header-Content-Length must be an integer, got {value.decode('latin-1')!r}"
                ) from None
    return None


async def _read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    for key, value in scope["headers"]:
        if key == b"content-length":
            if value.isdigit() and int(value) > limit:
                raise errors.PayloadTooLarge(
                    f"the body has {int(value)} bytes, more than this server's limit of {limit} (--max_body_bytes)"
                )
        elif key == b"content-encoding" and value not in (b"identity", b""):
            raise errors.UnsupportedMediaType(
                f"Content-Encoding {value.decode('latin-1')} is not supported; send the body uncompressed"
            )
    message = await receive()
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        return body
    chunks = [body]
    size = len(body)
    while message.get("more_body", False):
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise errors.PayloadTooLarge(
                f"the body is larger than this server's limit of {limit} bytes (--max_body_bytes)"
            )
        chunks.append(chunk)
    return b"".join(chunks)


async def _send(send: Send, status: int, body: bytes, *, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*(headers or _JSON), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _send_error(send: Send, exc: errors.ModelServerError) -> None:
    status = status_of(exc)
    if status >= 500:
        log.warning("request failed", extra={"status": status, "error": exc.message})
    await _send(send, status, orjson.dumps({"error": exc.message}))


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
