"""What payload logging costs a request: the time of `PayloadLogger.submit_request`, queued and dropped.

`python runtimes/benchmarks/payload_submit.py`. The timed loops never yield to the event loop, so the logger's
workers do not run while they are timed: the figures are the enqueue alone (the part on the request path), first
into a queue with room, then into a full queue (the event is counted as undelivered). Best of 7 rounds of 20,000.
"""

from __future__ import annotations

import asyncio
import logging
import time

import prometheus_client
from modelplane.runtime.payloads import delivering, settings

ROUNDS, CALLS = 7, 20_000


def timed(logger: delivering.PayloadLogger, body: bytes) -> float:
    started = time.perf_counter()
    for _ in range(CALLS):
        logger.submit_request(request_id="r", model_name="iris", body=body, content_type="application/json")
    return (time.perf_counter() - started) / CALLS * 1e6


async def main() -> None:
    logging.disable(logging.WARNING)  # the drops are the point here, not their log lines
    body = b'{"instances": [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]}'
    queued, dropped = [], []
    for _ in range(ROUNDS):
        config = settings.LoggerSettings(url="http://127.0.0.1:9/", queue_size=CALLS, max_attempts=1, drain_timeout_s=0)
        logger = delivering.PayloadLogger(config, registry=prometheus_client.CollectorRegistry())
        await logger.start()
        queued.append(timed(logger, body))
        dropped.append(timed(logger, body))
        await logger.stop()
    print(f"submit_request, queued:  best {min(queued):.2f} us/call")
    print(f"submit_request, dropped: best {min(dropped):.2f} us/call (queue full, counted and rate-limit logged)")


if __name__ == "__main__":
    asyncio.run(main())
