"""Serving from several worker processes (`--workers N`), for when one process's event loop is the ceiling.

The parent binds the HTTP port once and spawns N workers (spawned, not forked, so none inherits threads or CUDA
state). Each is a whole server, with its own event loop, copy of the model and batcher, accepting connections from
the shared socket; their gRPC listeners share the port through SO_REUSEPORT. The parent forwards SIGTERM and SIGINT
and waits. When a worker dies, the parent stops the others and exits with that worker's code, so the container
restarts as a whole rather than serving with fewer workers than it was given.

The workers agree through a private directory (`Peers`):
- Each worker publishes its metrics snapshot there every second, and `/metrics` on any worker adds its peers'
  snapshots to its own.
- Each worker leaves a marker there once the models it started with are loaded, and the server reports ready only
  when every worker has.
- The repository extension (load and unload at run time) needs `--workers 1`: a load would reach only the worker
  that took the request, so with more workers it is refused with 409 and a message that says why.
"""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import json
import logging
import multiprocessing
import multiprocessing.connection
import os
import pathlib
import shutil
import signal
import socket
import tempfile
from collections.abc import Callable
from types import FrameType

from modelplane.runtime import metrics, settings

log = logging.getLogger(__name__)

PUBLISH_INTERVAL_S = 1.0


@dataclasses.dataclass(frozen=True)
class Peers:
    """What one worker knows of the others: its index, how many there are, and their shared directory."""

    index: int
    count: int
    directory: pathlib.Path

    def publish(self, snapshot: metrics.Snapshot) -> None:
        """Replace this worker's metrics snapshot (atomically: a reader sees the old one or the new one)."""
        partial = self.directory / f".metrics-{self.index}.json"
        partial.write_bytes(json.dumps(snapshot).encode())
        os.replace(partial, self.directory / f"metrics-{self.index}.json")

    def snapshots(self) -> list[metrics.Snapshot]:
        """The other workers' latest snapshots (a worker that has not published yet has none)."""
        found: list[metrics.Snapshot] = []
        for index in range(self.count):
            if index == self.index:
                continue
            with contextlib.suppress(FileNotFoundError):
                found.append(json.loads((self.directory / f"metrics-{index}.json").read_bytes()))
        return found

    @property
    def fixed(self) -> str:
        """Why the repository extension cannot load or unload models on this server."""
        return (
            f"this server runs {self.count} worker processes, each with its own copy of the models, and a load or"
            " unload would reach only one of them; load and unload models at run time on a server started with"
            " --workers 1"
        )

    def mark_started(self) -> None:
        """Say that this worker's startup models are loaded."""
        (self.directory / f"started-{self.index}").touch()

    def all_started(self) -> bool:
        return all((self.directory / f"started-{index}").exists() for index in range(self.count))


@dataclasses.dataclass(frozen=True)
class Worker:
    """What a worker process is handed: its place among its peers and the HTTP socket they share."""

    peers: Peers
    http_socket: socket.socket


def listen(host: str, port: int) -> socket.socket:
    """The HTTP listening socket the workers share."""
    family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def supervise(config: settings.Settings, target: Callable[[settings.Settings, Worker], None]) -> int:
    """Run `config.workers` processes of `target(config, worker)` on one shared HTTP socket until a signal stops
    them (exit 0) or one of them dies (its exit code, after stopping the rest)."""
    try:
        sock = listen(config.http_host, config.http_port)
    except OSError as exc:
        log.error(
            "cannot listen for HTTP", extra={"address": f"{config.http_host}:{config.http_port}", "error": str(exc)}
        )
        return 1
    directory = pathlib.Path(tempfile.mkdtemp(prefix="modelplane-workers-"))
    spawn = multiprocessing.get_context("spawn")
    processes = [
        spawn.Process(
            target=target,
            args=(
                config,
                Worker(peers=Peers(index=index, count=config.workers, directory=directory), http_socket=sock),
            ),
            name=f"worker-{index}",
        )
        for index in range(config.workers)
    ]
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for process in processes:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGTERM, signal.SIGINT)}
    code = 0
    try:
        for process in processes:
            process.start()
        log.info("serving from worker processes", extra={"workers": config.workers, "http_port": config.http_port})
        running = list(processes)
        while running:
            ended = multiprocessing.connection.wait([process.sentinel for process in running])
            for process in [process for process in running if process.sentinel in ended]:
                running.remove(process)
                process.join()
                if not stopping:
                    exitcode = process.exitcode or 0
                    code = exitcode if exitcode > 0 else 128 - exitcode if exitcode < 0 else 1
                    log.error(
                        "a worker process exited; stopping the others so that the server restarts whole",
                        extra={"worker": process.name, "exit_code": process.exitcode},
                    )
                    stop(signal.SIGTERM, None)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        sock.close()
        shutil.rmtree(directory, ignore_errors=True)
    return code
