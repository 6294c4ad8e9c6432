"""Starting, probing and stopping one container's process, and where its logs and pid records live on disk.

Each container runs in its own session (so a signal reaches everything it started) inside a private mount
namespace. Its output goes to `<pod dir>/logs/<container>/<run>.log`, one file per run, so the previous run's
log survives a restart. A pid record (`<pod dir>/pids/<container>`) lets a restarted node agent stop processes
that an earlier agent left behind.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import os
import pathlib
import signal
import socket
import ssl
import subprocess
import time

from modelplane.devcluster import podplans, probes

log = logging.getLogger(__name__)


def _start_ticks(pid: int) -> str:
    try:
        return pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


class Process:
    """One run of one container."""

    def __init__(self, container: podplans.Container, *, pod_dir: pathlib.Path, run: int) -> None:
        self.container = container
        self.log_path = pod_dir / "logs" / container.name / f"{run}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._pid_path = pod_dir / "pids" / container.name
        self._pid_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as out:
            self._popen = subprocess.Popen(
                podplans.launch_argv(container, pod_dir=str(pod_dir)),
                env=dict(container.env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd="/",
            )
        self.pid = self._popen.pid
        self._pid_path.write_text(f"{self.pid} {_start_ticks(self.pid)}\n")
        self.started_wall = time.time()
        self.started = time.monotonic()

    def exit_code(self) -> int | None:
        """The exit code once the process has ended (128 + signal number when a signal ended it)."""
        code = self._popen.poll()
        if code is None:
            return None
        return 128 - code if code < 0 else code

    def stop(self, *, grace: float) -> int:
        """SIGTERM to the process group, SIGKILL after `grace` seconds; returns the exit code."""
        code = self.exit_code()
        if code is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            try:
                self._popen.wait(timeout=max(grace, 0.0))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)
                self._popen.wait()
            code = self.exit_code()
        # Whatever the container started in its session goes with it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        self._pid_path.unlink(missing_ok=True)
        return code if code is not None else 137


def reap_leftovers(root: pathlib.Path) -> int:
    """Stop processes recorded by an earlier agent that are still alive; returns how many were stopped."""
    stopped = 0
    for record in root.glob("pods/*/pids/*"):
        try:
            pid_text, _, ticks = record.read_text().strip().partition(" ")
            pid = int(pid_text)
        except (OSError, ValueError):
            record.unlink(missing_ok=True)
            continue
        if ticks and _start_ticks(pid) == ticks:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
                stopped += 1
        record.unlink(missing_ok=True)
    return stopped


def check(probe: probes.Probe, *, process: Process) -> bool:
    """Run one probe against a running container; True when it passes."""
    try:
        if probe.action == "httpGet":
            conn: http.client.HTTPConnection
            if probe.scheme == "HTTPS":
                # The kubelet does not verify a probe's certificate either.
                unverified = ssl._create_unverified_context()  # noqa: S323
                conn = http.client.HTTPSConnection(probe.host, probe.port, timeout=probe.timeout, context=unverified)
            else:
                conn = http.client.HTTPConnection(probe.host, probe.port, timeout=probe.timeout)
            try:
                conn.request("GET", probe.path, headers=dict(probe.headers) | {"User-Agent": "kube-probe/1.34"})
                return 200 <= conn.getresponse().status < 400
            finally:
                conn.close()
        if probe.action in ("tcpSocket", "grpc"):
            with socket.create_connection((probe.host, probe.port), timeout=probe.timeout):
                return True
        if probe.action == "exec":
            result = subprocess.run(
                ["nsenter", "--mount", "--target", str(process.pid), "--", *probe.command],
                env=dict(process.container.env),
                capture_output=True,
                timeout=max(probe.timeout, 1.0),
                check=False,
            )
            return result.returncode == 0
    except (OSError, http.client.HTTPException, subprocess.TimeoutExpired):
        return False
    return False
