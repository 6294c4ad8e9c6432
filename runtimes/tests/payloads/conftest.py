"""A real CloudEvents sink on 127.0.0.1 for the payload logger's tests: an ASGI message dumper served by uvicorn.

The sink records every request it receives (headers and body) and can be told to answer the next N requests with an
error status, or to wait before answering, so retries, rejections and a slow sink can be tested against real HTTP.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn


@dataclasses.dataclass
class Received:
    headers: dict[str, str]
    body: bytes


class Sink:
    """State shared between the sink's server thread and the test."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.attempts = 0
        self.fail_next = 0
        self.fail_status = 503
        self.delay_s = 0.0
        self.url = ""

    def snapshot(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        with self.lock:
            self.attempts += 1
            failing = self.fail_next > 0
            if failing:
                self.fail_next -= 1
            else:
                headers = {key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]}
                self.received.append(Received(headers=headers, body=body))
            status = self.fail_status if failing else 202
            delay = self.delay_s
        if delay:
            await asyncio.sleep(delay)
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})


@pytest.fixture
def dead_sink_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (a port bound and released at once): a sink that is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/"


@pytest.fixture
def sink() -> Iterator[Sink]:
    """Start the sink on a free 127.0.0.1 port for one test, and stop it afterwards."""
    app = Sink()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", lifespan="off", ws="none", loop="asyncio", http="h11", timeout_graceful_shutdown=0.2
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the CloudEvents sink did not start within 10 s")
        time.sleep(0.01)
    app.url = f"http://127.0.0.1:{port}/"
    yield app
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
