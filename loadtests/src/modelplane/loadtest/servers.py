"""Model servers and a load balancer that a benchmark starts on 127.0.0.1 and always stops again.

`Server` runs one command as a child process (its output in a log file beside the benchmark's results), waits
until a readiness URL answers 200, and terminates it on exit. Commands: `runtime_command` (Modelplane's runtime,
optionally with adaptive batching), `mlserver_command` (MLServer 1.7.1 from its own virtualenv, whose batcher is
the fixed kind: it waits for `max_batch_size` requests or `max_batch_time`), and `nginx_command` with
`nginx_config` (round robin over replicas, keep-alive upstream connections).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence

from modelplane.loadtest import errors

READY_TIMEOUT_S = 60.0


@dataclasses.dataclass(frozen=True, slots=True)
class ServerSpec:
    name: str
    command: tuple[str, ...]
    ready_url: str
    log: pathlib.Path
    env: tuple[tuple[str, str], ...] = ()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running(spec: ServerSpec, *, timeout_s: float = READY_TIMEOUT_S) -> Iterator[subprocess.Popen[bytes]]:
    """Start `spec`, wait until it is ready, yield the process, and stop it on the way out."""
    with all_running([spec], timeout_s=timeout_s) as processes:
        yield processes[0]


@contextlib.contextmanager
def all_running(
    specs: Sequence[ServerSpec], *, timeout_s: float = READY_TIMEOUT_S
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Start every spec at once, wait until all are ready, yield the processes; stop them all on the way out."""
    processes: list[subprocess.Popen[bytes]] = []
    with contextlib.ExitStack() as logs:
        try:
            for spec in specs:
                log = logs.enter_context(spec.log.open("wb"))
                processes.append(
                    subprocess.Popen(
                        list(spec.command), stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **dict(spec.env)}
                    )
                )
            for spec, process in zip(specs, processes, strict=True):
                _wait_ready(spec, process, timeout_s=timeout_s)
            yield processes
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=15)


def _wait_ready(spec: ServerSpec, process: subprocess.Popen[bytes], *, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise errors.InvalidRun(f"{spec.name} exited with status {process.returncode} on start; see {spec.log}")
        try:
            with urllib.request.urlopen(spec.ready_url, timeout=2) as answer:  # noqa: S310 - a loopback URL we built
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise errors.InvalidRun(f"{spec.name} was not ready at {spec.ready_url} within {timeout_s:g} s; see {spec.log}")


def runtime_command(
    *, model_name: str, model_dir: pathlib.Path, port: int, max_batch_size: int | None, max_latency_ms: float | None
) -> tuple[str, ...]:
    """Modelplane's runtime on 127.0.0.1:`port`, gRPC off, adaptive batching when `max_batch_size` is given."""
    command = [
        sys.executable,
        "-m",
        "modelplane.runtime",
        "--model_name",
        model_name,
        "--model_dir",
        str(model_dir),
        "--http_host",
        "127.0.0.1",
        "--http_port",
        str(port),
        "--grpc_port",
        "0",
        "--log_level",
        "warning",
    ]
    if max_batch_size is not None:
        command += ["--max_batch_size", str(max_batch_size)]
    if max_latency_ms is not None:
        command += ["--max_latency_ms", f"{max_latency_ms:g}"]
    return tuple(command)


def runtime_spec(
    *,
    name: str,
    model_name: str,
    model_dir: pathlib.Path,
    workdir: pathlib.Path,
    max_batch_size: int | None = None,
    max_latency_ms: float | None = None,
) -> tuple[ServerSpec, str]:
    port = free_port()
    spec = ServerSpec(
        name=name,
        command=runtime_command(
            model_name=model_name,
            model_dir=model_dir,
            port=port,
            max_batch_size=max_batch_size,
            max_latency_ms=max_latency_ms,
        ),
        ready_url=f"http://127.0.0.1:{port}/v2/models/{model_name}/ready",
        log=workdir / f"{name}.log",
    )
    return spec, f"http://127.0.0.1:{port}"


def mlserver_binary(venv: pathlib.Path) -> pathlib.Path:
    binary = venv / "bin" / "mlserver"
    if not binary.is_file():
        raise errors.InvalidRun(
            f"MLServer is not installed in {venv}; `make loadtest-peers` installs MLServer 1.7.1 there "
            "(the fixed-batcher configurations need it)"
        )
    return binary


def mlserver_spec(
    *,
    name: str,
    venv: pathlib.Path,
    model_name: str,
    model_file: pathlib.Path,
    workdir: pathlib.Path,
    max_batch_size: int,
    max_batch_time_ms: float,
) -> tuple[ServerSpec, str]:
    """MLServer serving a scikit-learn model in-process, with its fixed batcher when `max_batch_size` > 1."""
    binary = mlserver_binary(venv)
    folder = workdir / f"{name}-mlserver"
    model_folder = folder / model_name
    model_folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(model_file, model_folder / "model.joblib")
    port = free_port()
    (folder / "settings.json").write_text(
        json.dumps(
            {
                "host": "127.0.0.1",
                "http_port": port,
                "grpc_port": free_port(),
                "metrics_port": free_port(),
                "parallel_workers": 0,
                "debug": False,
            }
        )
    )
    (model_folder / "model-settings.json").write_text(
        json.dumps(
            {
                "name": model_name,
                "implementation": "mlserver_sklearn.SKLearnModel",
                "max_batch_size": max_batch_size,
                "max_batch_time": max_batch_time_ms / 1000.0,
                "parameters": {"uri": "./model.joblib"},
            }
        )
    )
    spec = ServerSpec(
        name=name,
        command=(str(binary), "start", str(folder)),
        ready_url=f"http://127.0.0.1:{port}/v2/models/{model_name}/ready",
        log=workdir / f"{name}.log",
    )
    return spec, f"http://127.0.0.1:{port}"


def nginx_config(*, name: str, port: int, upstreams: Sequence[str], workdir: pathlib.Path) -> str:
    """An nginx configuration: one worker, round robin over `upstreams` (host:port), keep-alive both ways."""
    servers = "\n".join(f"        server {upstream};" for upstream in upstreams)
    return f"""worker_processes 1;
pid {workdir}/{name}.pid;
error_log {workdir}/{name}-error.log warn;
events {{
    worker_connections 4096;
}}
http {{
    access_log off;
    client_body_temp_path {workdir}/nginx-body;
    proxy_temp_path {workdir}/nginx-proxy;
    fastcgi_temp_path {workdir}/nginx-fastcgi;
    uwsgi_temp_path {workdir}/nginx-uwsgi;
    scgi_temp_path {workdir}/nginx-scgi;
    upstream replicas {{
{servers}
        keepalive 256;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://replicas;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}
}}
"""


def nginx_spec(
    *, name: str, upstreams: Sequence[str], workdir: pathlib.Path, ready_path: str
) -> tuple[ServerSpec, str]:
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if pathlib.Path("/usr/sbin/nginx").is_file() else None)
    if binary is None:
        raise errors.InvalidRun(
            "nginx is not on PATH; the scaling benchmark balances replicas with it (hack/install-nginx.sh installs it)"
        )
    workdir = workdir.resolve()
    port = free_port()
    config = workdir / f"{name}.conf"
    config.write_text(nginx_config(name=name, port=port, upstreams=upstreams, workdir=workdir))
    spec = ServerSpec(
        name=name,
        command=(
            binary,
            "-c",
            str(config),
            "-p",
            str(workdir),
            "-e",
            str(workdir / f"{name}-error.log"),
            "-g",
            "daemon off;",
        ),
        ready_url=f"http://127.0.0.1:{port}{ready_path}",
        log=workdir / f"{name}.log",
    )
    return spec, f"http://127.0.0.1:{port}"
