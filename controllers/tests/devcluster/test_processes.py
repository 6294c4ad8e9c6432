"""Covers devcluster.processes: a container started in its own mount namespace sees its volume at the target
path and logs to its run file; stop() sends SIGTERM and waits the grace period, then SIGKILL; leftover processes
recorded by an earlier agent are reaped; and the http, tcp and exec probes against real targets."""

from __future__ import annotations

import http.server
import pathlib
import socket
import threading
import time

import pytest
from modelplane.devcluster import podplans, probes, processes


def container(argv: tuple[str, ...], *, mounts: tuple[podplans.Mount, ...] = ()) -> podplans.Container:
    return podplans.Container(
        name="c",
        image="modelplane/runtime:0.1.0",
        argv=argv,
        env=(("PATH", "/usr/bin:/bin"),),
        workdir="/",
        mounts=mounts,
        probes=(),
        ports=(),
    )


def wait_exit(process: processes.Process, timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    while (code := process.exit_code()) is None:
        if time.monotonic() > deadline:
            pytest.fail("the process did not exit")
        time.sleep(0.05)
    return code


def test_volume_appears_at_its_target_and_output_goes_to_the_run_log(tmp_path: pathlib.Path) -> None:
    volume = tmp_path / "volume"
    volume.mkdir()
    (volume / "greeting").write_text("hello from the volume")
    target = tmp_path / "mnt" / "models"
    mount = podplans.Mount(source=str(volume), target=str(target), read_only=True)
    process = processes.Process(
        container(
            (
                "/bin/sh",
                "-c",
                f"cat {target}/greeting; echo; touch {target}/x 2>/dev/null || echo ro",
            ),
            mounts=(mount,),
        ),
        pod_dir=tmp_path / "pod",
        run=0,
    )
    assert wait_exit(process) == 0
    assert process.log_path == tmp_path / "pod" / "logs" / "c" / "0.log"
    assert process.log_path.read_text().splitlines() == ["hello from the volume", "ro"]
    assert not (volume / "x").exists()
    # The bind mount lived only in the container's own mount namespace.
    assert target.is_dir()
    assert not (target / "greeting").exists()


def test_stop_sends_sigterm_then_sigkill_after_the_grace_period(tmp_path: pathlib.Path) -> None:
    polite = processes.Process(
        container(("/bin/sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done")), pod_dir=tmp_path, run=0
    )
    time.sleep(0.3)
    assert polite.stop(grace=5) == 0
    stubborn = processes.Process(
        container(("/bin/sh", "-c", "trap '' TERM; while :; do sleep 0.1; done")), pod_dir=tmp_path, run=1
    )
    time.sleep(0.3)
    started = time.monotonic()
    assert stubborn.stop(grace=1) == 137
    assert 0.9 <= time.monotonic() - started < 5


def test_leftovers_of_an_earlier_agent_are_reaped(tmp_path: pathlib.Path) -> None:
    root = tmp_path / "state"
    process = processes.Process(container(("/bin/sh", "-c", "sleep 60")), pod_dir=root / "pods" / "ns_p_u", run=0)
    time.sleep(0.2)
    assert processes.reap_leftovers(root) == 1
    assert wait_exit(process) == 137
    assert not list(root.glob("pods/*/pids/*"))


@pytest.fixture
def http_target() -> tuple[str, int]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/ok" else 500)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield "127.0.0.1", server.server_address[1]
    server.shutdown()
    server.server_close()


def test_probes_against_real_targets(tmp_path: pathlib.Path, http_target: tuple[str, int]) -> None:
    host, port = http_target
    running = processes.Process(container(("/bin/sh", "-c", "sleep 30")), pod_dir=tmp_path, run=0)
    try:

        def probe(**kwargs: object) -> probes.Probe:
            return probes.Probe(kind="readiness", timeout=1.0, **kwargs)  # type: ignore[arg-type]

        assert processes.check(probe(action="httpGet", host=host, port=port, path="/ok"), process=running)
        assert not processes.check(probe(action="httpGet", host=host, port=port, path="/broken"), process=running)
        assert processes.check(probe(action="tcpSocket", host=host, port=port), process=running)
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            free = closed.getsockname()[1]
        assert not processes.check(probe(action="tcpSocket", host="127.0.0.1", port=free), process=running)
        assert processes.check(probe(action="exec", command=("/bin/sh", "-c", "test -d /proc")), process=running)
        assert not processes.check(probe(action="exec", command=("/bin/false",)), process=running)
    finally:
        running.stop(grace=1)
