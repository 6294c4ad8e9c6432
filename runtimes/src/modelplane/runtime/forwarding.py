"""Calling another model server over HTTP: the predictor of a transformer, or the upstream of proxy mode.

`PredictorClient.infer` sends an `InferRequest` as V1 (`:predict` with the first input as instances) or V2 JSON and
turns the answer back into an `InferResponse`. A 4xx from the remote server is passed through with its message; a
5xx or an unreachable server becomes 502.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import orjson
from modelplane.runtime import errors, messages, model, tensors
from modelplane.runtime.protocols import v1, v2

PROTOCOLS = ("v1", "v2")


def base_url(host: str) -> str:
    """`HOST:PORT` (KServe's --predictor_host form) or a full URL, as a URL without a trailing slash."""
    return (host if "://" in host else f"http://{host}").rstrip("/")


class PredictorClient:
    def __init__(self, *, url: str, protocol: str = "v1", timeout_s: float = 60.0) -> None:
        if protocol not in PROTOCOLS:
            raise errors.InvalidInput(f"predictor protocol must be v1 or v2, got {protocol!r}")
        self.url = base_url(url)
        self.protocol = protocol
        self._timeout = timeout_s
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout, limits=httpx.Limits(max_keepalive_connections=64))
        return self._client

    async def infer(self, request: messages.InferRequest) -> messages.InferResponse:
        if self.protocol == "v1":
            body = v1.dump({"instances": v1.to_json_value(request.inputs[0])})
            path = f"/v1/models/{request.model_name}:predict"
        else:
            body = v2.encode_request(request)
            path = f"/v2/models/{request.model_name}/infer"
        try:
            reply = await self._http().post(self.url + path, content=body, headers={"content-type": "application/json"})
        except httpx.HTTPError as exc:
            raise errors.UpstreamError(
                f"predictor at {self.url} cannot be reached: {type(exc).__name__}: {exc}"
            ) from exc
        if reply.status_code >= 400:
            raise errors.UpstreamError(
                f"predictor at {self.url} answered {reply.status_code}: {_error_text(reply.content)}",
                status=reply.status_code if reply.status_code < 500 else 502,
            )
        try:
            if self.protocol == "v1":
                document = orjson.loads(reply.content)
                predictions = document["predictions"]
                return messages.InferResponse(
                    model_name=request.model_name,
                    outputs=[tensors.Tensor.from_array(name="output-0", array=tensors.array_from_json(predictions))],
                )
            length = reply.headers.get("inference-header-content-length")
            return v2.decode_response(body=reply.content, header_length=int(length) if length else None)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, errors.InvalidInput) as exc:
            raise errors.UpstreamError(
                f"predictor at {self.url} sent an answer that is not {self.protocol}: {exc}"
            ) from exc

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _error_text(content: bytes) -> str:
    try:
        document: Any = orjson.loads(content)
    except orjson.JSONDecodeError:
        return content[:200].decode("utf-8", "replace")
    if isinstance(document, dict) and "error" in document:
        return str(document["error"])
    return content[:200].decode("utf-8", "replace")


class ProxyModel(model.Model):
    """Proxy mode: a model whose predict is the upstream server's; readiness waits for the upstream to be ready."""

    platform = "proxy"

    def __init__(self, *, name: str, predictor: PredictorClient, ready_timeout_s: float = 120.0) -> None:
        super().__init__(name=name, predictor=predictor)
        self._upstream = predictor
        self._ready_timeout_s = ready_timeout_s

    def load(self) -> None:
        upstream = self._upstream
        probe = f"{upstream.url}/v2/health/ready" if upstream.protocol == "v2" else upstream.url + "/"
        deadline = time.monotonic() + self._ready_timeout_s
        last = "no answer"
        with httpx.Client(timeout=5.0) as client:
            while time.monotonic() < deadline:
                try:
                    if client.get(probe).status_code == 200:
                        self.ready = True
                        return
                    last = "not ready"
                except httpx.HTTPError as exc:
                    last = f"{type(exc).__name__}"
                time.sleep(0.5)
        raise errors.ModelLoadError(f"upstream {probe} was not ready within {self._ready_timeout_s:.0f} s ({last})")
