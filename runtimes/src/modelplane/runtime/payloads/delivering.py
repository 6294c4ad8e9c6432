"""Delivering payload events to the sink: a bounded queue, a pool of asyncio workers, retries and accounting.

The request path only appends to a bounded `asyncio.Queue` (`submit_*` never awaits and never raises for a full queue
or a down sink); workers post the events with one shared `httpx.AsyncClient`. A delivery that fails with a connection
error, a timeout, a 5xx or a 429 is retried with exponential backoff; a 4xx other than 429 is not (the sink has said
it will not take the event). Every event that is not delivered is counted in
`modelplane_payload_events_undelivered_total{reason}` and logged, with reasons:

- `queue_full`: the queue held `queue_size` events, or `queue_max_bytes` bytes of bodies, when the server submitted
  one;
- `retries_exhausted`: `max_attempts` attempts all failed (the sink is down, slow or erroring);
- `rejected`: the sink answered with a 4xx other than 429;
- `stopped`: the logger was not running (before `start()`, after `stop()`), or `stop()` reached its deadline first;
- `invalid`: the event could not be sent at all (the HTTP client refused it, e.g. a content type that is no valid
  header value).

Warnings about undelivered events are rate limited (at most one line per `log_interval_s`, each with the counts
since the last line, and a final line on `stop()`), so an overloaded sink cannot flood the server's log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid

import httpx
import prometheus_client
from modelplane.runtime.payloads import events, settings

LOG = logging.getLogger(__name__)

REASONS = ("queue_full", "retries_exhausted", "rejected", "stopped", "invalid")


class _Undelivered:
    """Counts undelivered events per reason in Prometheus and logs them, at most one warning per interval."""

    def __init__(self, *, registry: prometheus_client.CollectorRegistry, log_interval_s: float) -> None:
        self._counter = prometheus_client.Counter(
            "modelplane_payload_events_undelivered",
            "Payload events (CloudEvents of inference requests and responses) that never reached the sink, by reason.",
            ["reason"],
            registry=registry,
        )
        self._children = {reason: self._counter.labels(reason=reason) for reason in REASONS}
        self._log_interval_s = log_interval_s
        self._pending: dict[str, int] = {}
        self._last_log = float("-inf")

    def record(self, reason: str, *, detail: str) -> None:
        """Count one undelivered event; `detail` describes it in the log line, when one is due."""
        self._children[reason].inc()
        self._pending[reason] = self._pending.get(reason, 0) + 1
        now = time.monotonic()
        if now - self._last_log >= self._log_interval_s:
            self._last_log = now
            self._log(detail=detail)

    def flush(self) -> None:
        """Log the counts not yet reported, if any (called when the logger stops)."""
        if self._pending:
            self._log(detail="logger stopped")

    def _log(self, *, detail: str) -> None:
        counts = ", ".join(f"{count} {reason}" for reason, count in sorted(self._pending.items()))
        LOG.warning("payload events not delivered to the logger sink: %s (latest: %s)", counts, detail)
        self._pending.clear()


class PayloadLogger:
    """Sends inference payloads to a CloudEvents sink from a pool of workers; see the module docstring.

    Create it, `await start()` inside the server's event loop, call `submit_request` / `submit_response` from that
    loop's thread (they are plain functions: they never block), and `await stop()` on shutdown. `registry` is the
    Prometheus registry the server exposes on `/metrics`; the logger adds its counters there.
    """

    def __init__(
        self,
        config: settings.LoggerSettings,
        *,
        registry: prometheus_client.CollectorRegistry,
        log_interval_s: float = 10.0,
    ) -> None:
        self._config = config
        self._queue: asyncio.Queue[events.Payload] = asyncio.Queue(maxsize=config.queue_size)
        self._queued_bytes = 0
        self._workers: list[asyncio.Task[None]] = []
        self._client: httpx.AsyncClient | None = None
        self._running = False
        self._delivered = prometheus_client.Counter(
            "modelplane_payload_events_delivered",
            "Payload events (CloudEvents of inference requests and responses) the sink accepted.",
            registry=registry,
        )
        self._undelivered = _Undelivered(registry=registry, log_interval_s=log_interval_s)

    @property
    def config(self) -> settings.LoggerSettings:
        return self._config

    async def start(self) -> None:
        """Open the HTTP client and start the workers. Calling it on a running logger is an error."""
        if self._running:
            raise RuntimeError("the payload logger is already running; call start() once")
        self._client = httpx.AsyncClient(
            timeout=self._config.request_timeout_s,
            limits=httpx.Limits(max_connections=self._config.workers, max_keepalive_connections=self._config.workers),
        )
        self._running = True
        self._workers = [
            asyncio.create_task(self._work(), name=f"payload-logger-{index}") for index in range(self._config.workers)
        ]

    async def stop(self) -> None:
        """Stop taking events, deliver what is queued within `drain_timeout_s`, then count the rest as `stopped`."""
        if not self._running:
            return
        self._running = False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), timeout=self._config.drain_timeout_s)
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []
        while not self._queue.empty():
            payload = self._queue.get_nowait()
            self._queued_bytes -= len(payload.body)
            self._queue.task_done()
            self._undelivered.record("stopped", detail=f"event {payload.request_id} still queued at the stop deadline")
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        self._undelivered.flush()

    def submit_request(self, *, request_id: str, model_name: str, body: bytes, content_type: str) -> None:
        """Queue an inference request's body for logging, when the mode logs requests. Never blocks."""
        if self._config.mode.logs_requests:
            self._submit(events.EventKind.REQUEST, request_id, model_name, body, content_type)

    def submit_response(self, *, request_id: str, model_name: str, body: bytes, content_type: str) -> None:
        """Queue an inference response's body for logging, when the mode logs responses. Never blocks."""
        if self._config.mode.logs_responses:
            self._submit(events.EventKind.RESPONSE, request_id, model_name, body, content_type)

    def _submit(self, kind: events.EventKind, request_id: str, model_name: str, body: bytes, content_type: str) -> None:
        payload = events.Payload(
            kind=kind,
            request_id=request_id or str(uuid.uuid4()),
            model_name=model_name,
            body=body,
            content_type=content_type,
            time=time.time(),
        )
        if not self._running:
            self._undelivered.record("stopped", detail=f"event {payload.request_id} submitted while not running")
            return
        if self._queued_bytes + len(body) > self._config.queue_max_bytes:
            limit = self._config.queue_max_bytes
            self._undelivered.record(
                "queue_full",
                detail=f"event {payload.request_id}: {len(body)} bytes would pass the {limit}-byte queue",
            )
            return
        try:
            self._queue.put_nowait(payload)
        except asyncio.QueueFull:
            self._undelivered.record(
                "queue_full", detail=f"event {payload.request_id}: queue of {self._config.queue_size} is full"
            )
            return
        self._queued_bytes += len(body)

    async def _work(self) -> None:
        while True:
            payload = await self._queue.get()
            self._queued_bytes -= len(payload.body)
            try:
                await self._deliver(payload)
            except asyncio.CancelledError:
                self._undelivered.record("stopped", detail=f"event {payload.request_id} in flight at the stop deadline")
                raise
            except Exception as error:  # a worker must outlive any one bad event
                problem = f"{type(error).__name__}: {error}"
                self._undelivered.record("invalid", detail=f"event {payload.request_id}: {problem}")
            finally:
                self._queue.task_done()

    async def _deliver(self, payload: events.Payload) -> None:
        if self._client is None:
            raise RuntimeError("the payload logger's HTTP client is closed; start() the logger first")
        headers = events.headers(payload, config=self._config)
        problem = ""
        for attempt in range(1, self._config.max_attempts + 1):
            try:
                response = await self._client.post(self._config.url, content=payload.body, headers=headers)
            except httpx.LocalProtocolError as error:  # our own request is malformed: no retry can help
                self._undelivered.record("invalid", detail=f"event {payload.request_id}: {error}")
                return
            except httpx.HTTPError as error:
                problem = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            else:
                if response.is_success:
                    self._delivered.inc()
                    return
                problem = f"sink answered HTTP {response.status_code}"
                if response.status_code < 500 and response.status_code != 429:
                    self._undelivered.record("rejected", detail=f"event {payload.request_id}: {problem}")
                    return
            if attempt < self._config.max_attempts:
                await asyncio.sleep(self._config.backoff_s(attempt=attempt))
        attempts = self._config.max_attempts
        self._undelivered.record(
            "retries_exhausted",
            detail=f"event {payload.request_id} to {self._config.url}: {problem} after {attempts} attempts",
        )
