"""Covers servers: the runtime, MLServer and nginx commands and configuration, and starting a server that fails
or never gets ready (a clear error naming its log), plus stopping a running one."""

from __future__ import annotations

import json
import pathlib
import sys

import pytest
from modelplane.loadtest import errors, servers


def test_runtime_command_binds_loopback_and_turns_batching_on_when_asked(tmp_path: pathlib.Path) -> None:
    plain = servers.runtime_command(
        model_name="m", model_dir=tmp_path, port=9000, max_batch_size=None, max_latency_ms=None
    )
    assert plain[plain.index("--http_host") + 1] == "127.0.0.1"
    assert plain[plain.index("--grpc_port") + 1] == "0"
    assert "--max_batch_size" not in plain
    batched = servers.runtime_command(
        model_name="m", model_dir=tmp_path, port=9000, max_batch_size=32, max_latency_ms=5
    )
    assert batched[-4:] == ("--max_batch_size", "32", "--max_latency_ms", "5")


def test_nginx_config_round_robins_over_the_replicas_on_loopback(tmp_path: pathlib.Path) -> None:
    text = servers.nginx_config(name="lb", port=8088, upstreams=["127.0.0.1:1", "127.0.0.1:2"], workdir=tmp_path)
    assert "listen 127.0.0.1:8088;" in text
    assert "server 127.0.0.1:1;" in text
    assert "server 127.0.0.1:2;" in text
    assert "keepalive 256;" in text
    assert f"pid {tmp_path}/lb.pid;" in text


def test_mlserver_needs_its_virtualenv(tmp_path: pathlib.Path) -> None:
    with pytest.raises(errors.InvalidRun, match="make loadtest-peers"):
        servers.mlserver_binary(tmp_path / "no-venv")


def test_mlserver_spec_writes_fixed_batcher_settings(tmp_path: pathlib.Path) -> None:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "mlserver").write_text("")
    model = tmp_path / "model.joblib"
    model.write_bytes(b"x")
    spec, url = servers.mlserver_spec(
        name="fixed",
        venv=venv,
        model_name="forest",
        model_file=model,
        workdir=tmp_path,
        max_batch_size=32,
        max_batch_time_ms=20,
    )
    settings = json.loads((tmp_path / "fixed-mlserver" / "forest" / "model-settings.json").read_text())
    assert (settings["max_batch_size"], settings["max_batch_time"]) == (32, 0.02)
    server = json.loads((tmp_path / "fixed-mlserver" / "settings.json").read_text())
    assert server["host"] == "127.0.0.1"
    assert url == f"http://127.0.0.1:{server['http_port']}"
    assert spec.ready_url.endswith("/v2/models/forest/ready")


def test_a_server_that_exits_is_reported_with_its_log(tmp_path: pathlib.Path) -> None:
    spec = servers.ServerSpec(
        name="broken",
        command=(sys.executable, "-c", "raise SystemExit(3)"),
        ready_url="http://127.0.0.1:9/",
        log=tmp_path / "broken.log",
    )
    with (
        pytest.raises(errors.InvalidRun, match=r"broken exited with status 3 on start; see .*broken\.log"),
        servers.running(spec),
    ):
        pass


def test_a_server_that_never_gets_ready_is_stopped(tmp_path: pathlib.Path) -> None:
    spec = servers.ServerSpec(
        name="sleepy",
        command=(sys.executable, "-c", "import time; time.sleep(60)"),
        ready_url=f"http://127.0.0.1:{servers.free_port()}/",
        log=tmp_path / "sleepy.log",
    )
    with pytest.raises(errors.InvalidRun, match=r"not ready .* within 1 s"), servers.running(spec, timeout_s=1):
        pass


def test_a_running_server_is_stopped_on_exit(tmp_path: pathlib.Path) -> None:
    port = servers.free_port()
    spec = servers.ServerSpec(
        name="http",
        command=(sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)),
        ready_url=f"http://127.0.0.1:{port}/",
        log=tmp_path / "http.log",
        env=(("PYTHONUNBUFFERED", "1"),),
    )
    with servers.running(spec) as process:
        assert process.poll() is None
    assert process.poll() is not None
