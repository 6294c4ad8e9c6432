"""Several worker processes on one port (`--workers`): connections spread over the workers, `/metrics` on any of
them counts every worker's requests, readiness waits for every worker's models, the repository extension refuses
run-time loads and unloads over HTTP and gRPC with a 409 / FAILED_PRECONDITION that says why, SIGTERM stops every
process, a worker that dies takes the server down with its status, and a bad --logger_url is one clear message."""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import grpc
import httpx
import pytest
from modelplane.runtime import workers
from modelplane.runtime.protocols import grpc_v2

from runtimes.tests.conftest import metric

Server = object  # conftest.Server: a started server process with its ports and log

PID_MODEL = """
import os

import numpy as np

from modelplane.runtime import model


class Pid(model.Model):
    def predict(self, request):
        return np.array([os.getpid()])
"""


def test_peers_share_snapshots_and_startup(tmp_path: pathlib.Path) -> None:
    first, second = (workers.Peers(index=index, count=2, directory=tmp_path) for index in (0, 1))
    assert first.snapshots() == []
    second.publish([["requests", "counter", "", [["requests_total", {"model": "m"}, 3.0]]]])
    assert first.snapshots() == [[["requests", "counter", "", [["requests_total", {"model": "m"}, 3.0]]]]]
    assert second.snapshots() == []
    first.mark_started()
    assert not second.all_started()
    second.mark_started()
    assert first.all_started()


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in pathlib.Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def _gone(pids: list[int]) -> bool:
    """Whether these processes have all ended (multiprocessing's resource tracker ends just after the parent)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if not [pid for pid in pids if pathlib.Path(f"/proc/{pid}").exists()]:
            return True
        time.sleep(0.1)
    return False


def _pid_server(start_server: Callable[..., object], tmp_path: pathlib.Path) -> object:
    (tmp_path / "model.py").write_text(PID_MODEL)
    return start_server("--model_name", "pid", "--model_dir", str(tmp_path), "--workers", "2")


def test_two_workers_serve_one_port(start_server: Callable[..., object], tmp_path: pathlib.Path) -> None:
    server = _pid_server(start_server, tmp_path)
    url = server.url  # type: ignore[attr-defined]
    pids = set()
    for _ in range(60):
        with httpx.Client() as client:  # a new connection each time, as many clients make
            reply = client.post(url + "/v1/models/pid:predict", json={"instances": [[0]]})
        assert reply.status_code == 200, reply.text
        pids.add(reply.json()["predictions"][0])
    assert len(pids) == 2
    assert pids <= set(_children(server.process.pid))  # type: ignore[attr-defined]

    key = 'modelplane_requests_total{model="pid",protocol="v1"}'
    deadline = time.monotonic() + 10 * workers.PUBLISH_INTERVAL_S
    counts: list[float] = []
    while time.monotonic() < deadline:
        # Each scrape may land on either worker; every one must count both workers' requests.
        counts = [metric(httpx.get(url + "/metrics").text, key) for _ in range(6)]
        if counts == [60.0] * 6:
            break
        time.sleep(0.2)
    assert counts == [60.0] * 6

    refused = httpx.post(url + "/v2/repository/models/other/load")
    assert refused.status_code == 409
    assert "--workers 1" in refused.json()["error"]
    assert httpx.post(url + "/v2/repository/models/pid/unload").status_code == 409
    classes = grpc_v2.message_classes()
    with grpc.insecure_channel(server.grpc_target) as channel:  # type: ignore[attr-defined]
        load = channel.unary_unary(
            f"/{grpc_v2.SERVICE}/RepositoryModelLoad",
            request_serializer=classes["RepositoryModelLoadRequest"].SerializeToString,
            response_deserializer=classes["RepositoryModelLoadResponse"].FromString,
        )
        with pytest.raises(grpc.RpcError) as refused_grpc:
            load(classes["RepositoryModelLoadRequest"](model_name="other"), timeout=10)
    assert refused_grpc.value.code() == grpc.StatusCode.FAILED_PRECONDITION

    process = server.process  # type: ignore[attr-defined]
    children = _children(process.pid)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert _gone(children)


def test_a_dead_worker_stops_the_server(start_server: Callable[..., object], tmp_path: pathlib.Path) -> None:
    server = _pid_server(start_server, tmp_path)
    process = server.process  # type: ignore[attr-defined]
    reply = httpx.post(server.url + "/v1/models/pid:predict", json={"instances": [[0]]})  # type: ignore[attr-defined]
    victim = reply.json()["predictions"][0]
    others = [pid for pid in _children(process.pid) if pid != victim]
    os.kill(victim, signal.SIGKILL)
    assert process.wait(timeout=30) == 128 + signal.SIGKILL
    assert _gone(others)
    assert "a worker process exited" in server.log()  # type: ignore[attr-defined]


def test_bad_logger_url_is_reported_once(tmp_path: pathlib.Path) -> None:
    (tmp_path / "model.py").write_text(PID_MODEL)
    result = subprocess.run(
        [sys.executable, "-m", "modelplane.runtime", "--model_name", "pid", "--model_dir", str(tmp_path),
         "--workers", "2", "--logger_url", "ftp://sink"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.count("modelplane-runtime: error:") == 1
    assert "Traceback" not in result.stderr
