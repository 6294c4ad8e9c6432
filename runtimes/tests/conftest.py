"""Fixtures for the model server's tests: models trained on the fly, free ports, and real servers on 127.0.0.1.

`start_server(args, env=..., host=...)` launches `python -m modelplane.runtime` as a separate process (the same
entry point the container runs), with extra environment variables and the address it listens on when given, waits
until it answers, and stops it at the end of the test; on failure its log is in the assertion message. The storage
tests' real servers (`web`, `s3_server`) serve the run-time loads of `test_loading` too.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import httpx
import joblib
import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from runtimes.tests.storage.conftest import s3_server, web  # noqa: F401 - fixtures shared with test_loading

IRIS_INSTANCES = [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]


def metric(text: str, key: str) -> float:
    """The value of the sample `key` (name and labels, as the server writes them) in a /metrics text; 0 when the
    sample is absent, as a counter that has counted nothing yet."""
    for line in text.splitlines():
        if line.startswith(key + " "):
            return float(line.split()[-1])
    return 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def iris() -> tuple[np.ndarray, np.ndarray]:
    features, labels = load_iris(return_X_y=True)
    return features, labels


@pytest.fixture(scope="session")
def iris_model(iris: tuple[np.ndarray, np.ndarray]) -> LogisticRegression:
    return LogisticRegression(max_iter=1000).fit(*iris)


@pytest.fixture(scope="session")
def iris_dir(tmp_path_factory: pytest.TempPathFactory, iris_model: LogisticRegression) -> pathlib.Path:
    directory = tmp_path_factory.mktemp("iris")
    joblib.dump(iris_model, directory / "model.joblib")
    return directory


@dataclasses.dataclass
class Server:
    process: subprocess.Popen[bytes]
    http_port: int
    grpc_port: int
    log_path: pathlib.Path
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    @property
    def grpc_target(self) -> str:
        return f"{self.host}:{self.grpc_port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None


def _servers(directory: pathlib.Path) -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def start(
        *args: str,
        ready: bool = True,
        timeout_s: float = 60.0,
        env: dict[str, str] | None = None,
        host: str = "127.0.0.1",
    ) -> Server:
        http_port, grpc_port = free_port(), free_port()
        log_path = directory / f"server-{len(started)}.log"
        command = [
            sys.executable, "-m", "modelplane.runtime",
            "--http_port", str(http_port), "--grpc_port", str(grpc_port), *args,
        ]  # fmt: skip
        with log_path.open("wb") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
        server = Server(process=process, http_port=http_port, grpc_port=grpc_port, log_path=log_path, host=host)
        started.append(server)
        path = "/v2/health/ready" if ready else "/v2/health/live"
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not server.alive():
                raise AssertionError(f"server exited with {process.returncode}:\n{server.log()}")
            try:
                if httpx.get(server.url + path, timeout=1.0).status_code == 200:
                    return server
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"server not {'ready' if ready else 'live'} after {timeout_s} s:\n{server.log()}")

    yield start
    for server in started:
        if server.alive():
            server.process.terminate()
            try:
                server.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()


@pytest.fixture
def start_server(tmp_path: pathlib.Path) -> Iterator[Callable[..., Server]]:
    yield from _servers(tmp_path)


@pytest.fixture(scope="module")
def start_module_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Server]]:
    yield from _servers(tmp_path_factory.mktemp("servers"))
