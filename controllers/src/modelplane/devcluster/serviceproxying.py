"""A small kube-proxy for the process node: Service cluster IPs on the loopback device, each port forwarding
TCP connections to the Service's ready endpoints in turn. Runs an asyncio loop in a background thread; `update`
takes the desired listeners (from `serviceips.listeners`) and opens, re-targets or closes listeners to match.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
import threading
from collections.abc import Mapping

from modelplane.devcluster import errors, loopback

log = logging.getLogger(__name__)
Key = tuple[str, int]


class ServiceProxy:
    """Listeners on cluster IPs, forwarding to endpoints."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.targets: dict[Key, tuple[str, ...]] = {}
        self.servers: dict[Key, asyncio.base_events.Server] = {}
        self.addresses: set[str] = set()
        self.turns = itertools.count()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the event loop thread."""
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="service-proxy", daemon=True)
        self.thread.start()

    def update(self, wanted: Mapping[Key, tuple[str, ...]]) -> None:
        """Make the listeners match `wanted` (blocks until done; the proxy must be started)."""
        if self.loop is None:
            raise RuntimeError("the Service proxy is not started")
        asyncio.run_coroutine_threadsafe(self._update(dict(wanted)), self.loop).result(timeout=30)

    def stop(self) -> None:
        """Close every listener, take the cluster IPs off the loopback device and stop the loop."""
        if self.loop is None or self.thread is None:
            return
        with contextlib.suppress(Exception):
            self.update({})
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        if not self.thread.is_alive():
            self.loop.close()

    async def _update(self, wanted: dict[Key, tuple[str, ...]]) -> None:
        self.targets = wanted
        for key in [k for k in self.servers if k not in wanted]:
            self.servers.pop(key).close()
        for key in wanted:
            if key in self.servers:
                continue
            address, port = key
            if address not in self.addresses:
                try:
                    loopback.add(address)
                except errors.SetupError as exc:
                    log.warning("cannot serve Service address %s: %s", address, exc)
                    continue
                self.addresses.add(address)
            try:
                self.servers[key] = await asyncio.start_server(
                    functools.partial(self._forward, key), host=address, port=port
                )
            except OSError as exc:
                log.warning("cannot listen on Service address %s:%d: %s", address, port, exc)
        in_use = {address for address, _ in self.servers}
        for address in self.addresses - in_use:
            loopback.remove(address)
        self.addresses &= in_use

    async def _forward(self, key: Key, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        targets = self.targets.get(key) or ()
        if not targets:
            log.warning("connection to Service address %s:%d refused: the Service has no ready endpoint", *key)
            writer.close()
            return
        target = targets[next(self.turns) % len(targets)]
        host, _, port = target.rpartition(":")
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
        except OSError as exc:
            log.warning("connection to Service address %s:%d: endpoint %s refused it (%s)", *key, target, exc)
            writer.close()
            return
        await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()
