"""The server's settings: one frozen value built by `__main__` from the command line and passed in explicitly."""

from __future__ import annotations

import dataclasses
import pathlib

DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024
#: The environment variable that sets --http_host's default. The runtime image sets it to 0.0.0.0, so a pod whose
#: args name only --model_name, --model_dir and --http_port (as KServe's ServingRuntimes do) takes traffic from its
#: Service; a bare `modelplane-runtime` on a developer machine, where it is unset, stays on 127.0.0.1.
HTTP_HOST_ENV = "MODELPLANE_HTTP_HOST"
LOOPBACK = "127.0.0.1"


@dataclasses.dataclass(frozen=True, slots=True)
class Settings:
    model_name: str
    model_dir: pathlib.Path | None = None
    model_format: str | None = None
    http_host: str = LOOPBACK
    http_port: int = 8080
    #: 0 turns the gRPC server off.
    grpc_port: int = 8081
    #: None turns adaptive batching off.
    max_batch_size: int | None = None
    max_latency_ms: float = 500.0
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    logger_url: str | None = None
    logger_mode: str = "all"
    isvc_name: str | None = None
    isvc_namespace: str | None = None
    component: str = "predictor"
    predictor_host: str | None = None
    predictor_protocol: str = "v1"
    proxy_upstream: str | None = None
    log_level: str = "info"
    #: Processes serving the same port, each with its own copy of the models (see `workers`).
    workers: int = 1
