"""Payload logging: every inference request and response sent as a CloudEvent to a sink, off the hot path.

A model server whose InferenceService sets `logger: {url, mode}` hands each request body and each response body to
a `PayloadLogger`; the logger queues it and returns at once, and a small pool of asyncio workers posts it to the sink
as a CloudEvent in binary mode (the body is the HTTP body, the event's attributes are `ce-*` headers), with the types
and extensions KServe's logger uses, so an existing sink (a message dumper, a Knative broker) reads our events as its
own. What cannot be delivered (the queue is full, the sink keeps failing, the server stops first) is counted in
`modelplane_payload_events_undelivered_total{reason=...}` and logged: never dropped silently.

How the server uses it (one logger per server process, created on start-up, inside the event loop)::

    from modelplane.runtime.payloads import delivering, settings

    logger_settings = settings.LoggerSettings(
        url="http://message-dumper.default/", mode=settings.LoggerMode.parse("all"),
        source="http://localhost:8080/", inference_service="sklearn-iris", namespace="default",
        component="predictor", endpoint="default",
    )
    payload_logger = delivering.PayloadLogger(logger_settings, registry=metrics_registry)
    await payload_logger.start()
    ...
    # in a request handler (never blocks, never raises for a full queue or a down sink):
    payload_logger.submit_request(request_id=rid, model_name="iris", body=raw, content_type="application/json")
    payload_logger.submit_response(request_id=rid, model_name="iris", body=out, content_type="application/json")
    ...
    await payload_logger.stop()  # drains what is queued, for at most `settings.drain_timeout_s`

`settings` holds the validated configuration (pure), `events` turns one payload into the CloudEvent's headers
(pure), `delivering` is the I/O: the queue, the workers, the retries and the metrics.
"""
