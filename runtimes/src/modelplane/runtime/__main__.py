"""`modelplane-runtime`: the model server's command line (the only place that parses arguments).

Flag names follow KServe's model servers so that existing ServingRuntime args work unchanged.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
from collections.abc import Mapping

from modelplane.runtime import formats, forwarding, logs, serving, settings
from modelplane.runtime.payloads import settings as payload_settings


def parser(env: Mapping[str, str] | None = None) -> argparse.ArgumentParser:
    """The command line; `env` (the process environment by default) supplies the defaults the image sets."""
    env = os.environ if env is None else env
    host = env.get(settings.HTTP_HOST_ENV, "").strip() or settings.LOOPBACK
    p = argparse.ArgumentParser(prog="modelplane-runtime", description="Serve a model over V1/V2 REST and V2 gRPC.")
    p.add_argument("--model_name", required=True, help="name the model is served under")
    p.add_argument("--model_dir", type=pathlib.Path, help="directory (or file) holding the model")
    p.add_argument("--model_format", choices=formats.FORMATS, help="model format; detected from the files if omitted")
    p.add_argument(
        "--http_host",
        default=host,
        help=f"address the HTTP and gRPC servers bind (default ${settings.HTTP_HOST_ENV}, else {settings.LOOPBACK};"
        " the runtime image sets 0.0.0.0)",
    )
    p.add_argument("--http_port", type=int, default=8080)
    p.add_argument("--grpc_port", type=int, default=8081, help="V2 gRPC port; 0 turns gRPC off")
    p.add_argument("--max_batch_size", type=int, help="turn adaptive batching on with this many rows per batch")
    p.add_argument("--max_latency_ms", type=float, default=500.0, help="longest a request waits for a busy model")
    p.add_argument("--max_body_bytes", type=int, default=settings.DEFAULT_MAX_BODY_BYTES)
    p.add_argument("--logger_url", help="send CloudEvents of requests/responses to this URL")
    p.add_argument("--logger_mode", choices=("all", "request", "response"), default="all")
    p.add_argument("--isvc_name", help="InferenceService name (CloudEvents extension)")
    p.add_argument("--isvc_namespace", help="InferenceService namespace (CloudEvents extension)")
    p.add_argument("--component", choices=("predictor", "transformer", "explainer"), default="predictor")
    p.add_argument("--predictor_host", help="HOST:PORT of the predictor a transformer calls")
    p.add_argument(
        "--predictor_protocol",
        choices=forwarding.PROTOCOLS,
        default="v1",
        help="protocol to speak to --predictor_host or --proxy_upstream",
    )
    p.add_argument("--proxy_upstream", help="forward inference to this model server URL (proxy mode)")
    p.add_argument("--log_level", choices=("debug", "info", "warning", "error"), default="info")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="serve from this many processes sharing the ports, each loading its own copy of the models; for when"
        " one process's CPU is the limit. Loading and unloading models at run time needs 1",
    )
    return p


def parse(argv: list[str] | None = None, *, env: Mapping[str, str] | None = None) -> settings.Settings:
    p = parser(env)
    args = p.parse_args(argv)
    if args.model_dir is None and args.proxy_upstream is None and args.model_format not in formats.WITHOUT_DIRECTORY:
        p.error("give --model_dir (or --proxy_upstream for proxy mode)")
    if args.model_format == "shap" and not args.predictor_host:
        p.error("--model_format shap explains a predictor: give --predictor_host HOST:PORT")
    if args.max_batch_size is not None and args.max_batch_size < 1:
        p.error(f"--max_batch_size must be at least 1, got {args.max_batch_size}")
    if args.max_latency_ms <= 0:
        p.error(f"--max_latency_ms must be positive, got {args.max_latency_ms}")
    if args.workers < 1:
        p.error(f"--workers must be at least 1, got {args.workers}")
    if args.max_body_bytes < 1024:
        p.error(f"--max_body_bytes must be at least 1024, got {args.max_body_bytes}")
    for flag in ("http_port", "grpc_port"):
        if not 0 <= getattr(args, flag) <= 65535:
            p.error(f"--{flag} must be 0..65535")
    return settings.Settings(**{field: getattr(args, field) for field in settings.Settings.__dataclass_fields__})


def main(argv: list[str] | None = None) -> int:
    config = parse(argv)
    logs.configure(level=config.log_level)
    try:
        return serving.run(config)
    except payload_settings.LoggerSettingsError as exc:
        print(f"modelplane-runtime: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
