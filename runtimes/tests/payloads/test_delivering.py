"""Covers payloads.delivering against a real sink on 127.0.0.1: CloudEvent headers and bodies as received, the three
modes, retries on 5xx, no retry on 4xx, counting and logging of undelivered events (sink down, retries exhausted,
queue full by count and by bytes, submitted while stopped, stop deadline, an event the HTTP client refuses), draining
on stop, and that submitting never blocks the event loop even when the sink hangs."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import prometheus_client
import pytest
from modelplane.runtime.payloads import delivering, settings

if TYPE_CHECKING:
    from runtimes.tests.payloads.conftest import Sink

FAST = {"backoff_initial_s": 0.01, "backoff_max_s": 0.02, "request_timeout_s": 2.0}


def make_logger(url: str, **changes: Any) -> tuple[delivering.PayloadLogger, prometheus_client.CollectorRegistry]:
    registry = prometheus_client.CollectorRegistry()
    arguments: dict[str, Any] = {
        "url": url,
        "source": "http://localhost:8080/",
        "inference_service": "sklearn-iris",
        "namespace": "models",
        "component": "predictor",
        "endpoint": "default",
        **FAST,
        **changes,
    }
    return delivering.PayloadLogger(settings.LoggerSettings(**arguments), registry=registry), registry


def undelivered(registry: prometheus_client.CollectorRegistry, reason: str) -> float:
    value = registry.get_sample_value("modelplane_payload_events_undelivered_total", {"reason": reason})
    return 0.0 if value is None else value


def delivered(registry: prometheus_client.CollectorRegistry) -> float:
    return registry.get_sample_value("modelplane_payload_events_delivered_total") or 0.0


def run(logger: delivering.PayloadLogger, body: Callable[[], Awaitable[None]]) -> None:
    """Start the logger, run `body`, stop the logger: all in one fresh event loop."""

    async def main() -> None:
        await logger.start()
        try:
            await body()
        finally:
            await logger.stop()

    asyncio.run(main())


def submit_pair(logger: delivering.PayloadLogger, request_id: str = "req-1") -> None:
    logger.submit_request(
        request_id=request_id, model_name="iris", body=b'{"instances":[[1]]}', content_type="application/json"
    )
    logger.submit_response(
        request_id=request_id, model_name="iris", body=b'{"predictions":[1]}', content_type="application/json"
    )


def test_request_and_response_arrive_as_binary_cloudevents(sink: Sink) -> None:
    logger, registry = make_logger(sink.url)

    async def body() -> None:
        submit_pair(logger)

    run(logger, body)
    received = sorted(sink.snapshot(), key=lambda event: event.headers["ce-type"])
    assert [event.body for event in received] == [b'{"instances":[[1]]}', b'{"predictions":[1]}']
    assert [event.headers["ce-type"] for event in received] == [
        "org.kubeflow.serving.inference.request",
        "org.kubeflow.serving.inference.response",
    ]
    for event in received:
        assert event.headers["ce-specversion"] == "1.0"
        assert event.headers["ce-id"] == "req-1"
        assert event.headers["ce-source"] == "http://localhost:8080/"
        assert event.headers["ce-inferenceservicename"] == "sklearn-iris"
        assert event.headers["ce-namespace"] == "models"
        assert event.headers["ce-component"] == "predictor"
        assert event.headers["ce-endpoint"] == "default"
        assert event.headers["ce-subject"] == "iris"
        assert event.headers["content-type"] == "application/json"
        assert event.headers["ce-time"].endswith("Z")
    assert delivered(registry) == 2
    assert all(undelivered(registry, reason) == 0 for reason in delivering.REASONS)


def test_missing_request_id_gets_a_generated_one(sink: Sink) -> None:
    logger, _ = make_logger(sink.url)

    async def body() -> None:
        logger.submit_request(request_id="", model_name="iris", body=b"x", content_type="text/plain")

    run(logger, body)
    [event] = sink.snapshot()
    assert len(event.headers["ce-id"]) == 36


@pytest.mark.parametrize(
    ("mode", "types"),
    [
        pytest.param("request", ["org.kubeflow.serving.inference.request"], id="request"),
        pytest.param("response", ["org.kubeflow.serving.inference.response"], id="response"),
    ],
)
def test_mode_selects_what_is_sent(sink: Sink, mode: str, types: list[str]) -> None:
    logger, registry = make_logger(sink.url, mode=settings.LoggerMode.parse(mode))

    async def body() -> None:
        submit_pair(logger)

    run(logger, body)
    assert [event.headers["ce-type"] for event in sink.snapshot()] == types
    assert delivered(registry) == 1


def test_5xx_is_retried_until_delivered(sink: Sink) -> None:
    sink.fail_next, sink.fail_status = 2, 503
    logger, registry = make_logger(sink.url, max_attempts=3)

    async def body() -> None:
        logger.submit_request(request_id="r", model_name="iris", body=b"x", content_type="text/plain")

    run(logger, body)
    assert sink.attempts == 3
    assert len(sink.snapshot()) == 1
    assert delivered(registry) == 1
    assert undelivered(registry, "retries_exhausted") == 0


def test_retries_exhausted_is_counted_and_logged(sink: Sink, caplog: pytest.LogCaptureFixture) -> None:
    sink.fail_next, sink.fail_status = 100, 500
    logger, registry = make_logger(sink.url, max_attempts=2)

    async def body() -> None:
        logger.submit_request(request_id="r-lost", model_name="iris", body=b"x", content_type="text/plain")

    with caplog.at_level(logging.WARNING, logger=delivering.__name__):
        run(logger, body)
    assert sink.attempts == 2
    assert undelivered(registry, "retries_exhausted") == 1
    assert delivered(registry) == 0
    assert "1 retries_exhausted" in caplog.text
    assert "r-lost" in caplog.text
    assert "HTTP 500 after 2 attempts" in caplog.text


def test_4xx_is_rejected_without_retry(sink: Sink) -> None:
    sink.fail_next, sink.fail_status = 1, 400
    logger, registry = make_logger(sink.url, max_attempts=5)

    async def body() -> None:
        logger.submit_request(request_id="r", model_name="iris", body=b"x", content_type="text/plain")

    run(logger, body)
    assert sink.attempts == 1
    assert undelivered(registry, "rejected") == 1


def test_429_is_retried(sink: Sink) -> None:
    sink.fail_next, sink.fail_status = 1, 429
    logger, registry = make_logger(sink.url, max_attempts=2)

    async def body() -> None:
        logger.submit_request(request_id="r", model_name="iris", body=b"x", content_type="text/plain")

    run(logger, body)
    assert sink.attempts == 2
    assert delivered(registry) == 1


def test_sink_down_is_counted_and_logged(dead_sink_url: str, caplog: pytest.LogCaptureFixture) -> None:
    logger, registry = make_logger(dead_sink_url, max_attempts=2)

    async def body() -> None:
        submit_pair(logger)

    with caplog.at_level(logging.WARNING, logger=delivering.__name__):
        run(logger, body)
    assert undelivered(registry, "retries_exhausted") == 2
    assert "ConnectError" in caplog.text


def test_queue_full_is_counted_and_the_rest_delivered(sink: Sink, caplog: pytest.LogCaptureFixture) -> None:
    sink.delay_s = 0.05
    logger, registry = make_logger(sink.url, workers=1, queue_size=2)

    async def body() -> None:
        for index in range(10):
            logger.submit_request(request_id=f"r{index}", model_name="iris", body=b"x", content_type="text/plain")

    with caplog.at_level(logging.WARNING, logger=delivering.__name__):
        run(logger, body)
    assert undelivered(registry, "queue_full") == 8
    assert [event.headers["ce-id"] for event in sink.snapshot()] == ["r0", "r1"]
    assert "queue of 2 is full" in caplog.text
    # rate limited: the first drop is logged at once, the other seven in one closing line at stop()
    assert caplog.text.count("not delivered") == 2
    assert "7 queue_full" in caplog.text


def test_queue_byte_bound_is_counted(sink: Sink) -> None:
    sink.delay_s = 0.05
    logger, registry = make_logger(sink.url, workers=1, queue_size=100, queue_max_bytes=2500)

    async def body() -> None:
        for index in range(5):
            logger.submit_request(
                request_id=f"r{index}", model_name="iris", body=b"x" * 1000, content_type="text/plain"
            )

    run(logger, body)
    assert undelivered(registry, "queue_full") == 3
    assert [event.headers["ce-id"] for event in sink.snapshot()] == ["r0", "r1"]


def test_submit_while_stopped_is_counted() -> None:
    logger, registry = make_logger("http://127.0.0.1:9/")

    async def main() -> None:
        submit_pair(logger)

    asyncio.run(main())
    assert undelivered(registry, "stopped") == 2


def test_stop_drains_queued_events(sink: Sink) -> None:
    sink.delay_s = 0.05
    logger, registry = make_logger(sink.url, workers=1)

    async def body() -> None:
        for index in range(4):
            logger.submit_request(request_id=f"r{index}", model_name="iris", body=b"x", content_type="text/plain")

    run(logger, body)
    assert delivered(registry) == 4
    assert undelivered(registry, "stopped") == 0


def test_stop_deadline_counts_what_is_left(sink: Sink) -> None:
    sink.delay_s = 5.0
    logger, registry = make_logger(sink.url, workers=1, drain_timeout_s=0.2, request_timeout_s=10.0)

    async def body() -> None:
        for index in range(3):
            logger.submit_request(request_id=f"r{index}", model_name="iris", body=b"x", content_type="text/plain")
        await asyncio.sleep(0.05)  # let the worker take the first one

    started = time.monotonic()
    run(logger, body)
    assert time.monotonic() - started < 2.0
    assert undelivered(registry, "stopped") == 3  # one in flight, two still queued
    assert delivered(registry) == 0


def test_event_the_client_refuses_is_counted_and_the_worker_survives(sink: Sink) -> None:
    logger, registry = make_logger(sink.url, workers=1)

    async def body() -> None:
        logger.submit_request(
            request_id="bad", model_name="iris", body=b"x", content_type="text/plain\r\nx-injected: 1"
        )
        logger.submit_request(request_id="good", model_name="iris", body=b"x", content_type="text/plain")

    run(logger, body)
    assert undelivered(registry, "invalid") == 1
    assert [event.headers["ce-id"] for event in sink.snapshot()] == ["good"]


def test_submit_never_blocks_even_when_the_sink_hangs(sink: Sink) -> None:
    sink.delay_s = 5.0
    logger, registry = make_logger(sink.url, workers=2, queue_size=50, drain_timeout_s=0.1, request_timeout_s=10.0)
    durations: list[float] = []
    ticks: list[float] = []

    async def body() -> None:
        for index in range(500):
            started = time.perf_counter()
            logger.submit_request(
                request_id=f"r{index}", model_name="iris", body=b"x" * 1024, content_type="text/plain"
            )
            durations.append(time.perf_counter() - started)
            if index % 50 == 0:
                before = time.perf_counter()
                await asyncio.sleep(0)
                ticks.append(time.perf_counter() - before)

    run(logger, body)
    assert max(durations) < 0.01, f"slowest submit took {max(durations) * 1000:.2f} ms"
    assert max(ticks) < 0.05, f"the event loop stalled {max(ticks) * 1000:.2f} ms"
    counted = sum(undelivered(registry, reason) for reason in delivering.REASONS) + delivered(registry)
    assert counted == 500  # every event is either delivered or counted as undelivered
    assert undelivered(registry, "queue_full") >= 440
