"""Metrics: counters, error counts by status code, latency and batch-size histograms with cumulative buckets,
queue depth and in-flight, rendered in the Prometheus text format from the server's own registry; and with peers
(the other worker processes of one server), every sample summed over the workers, `_created` keeping the earliest."""

from __future__ import annotations

import prometheus_client
from modelplane.runtime import metrics
from prometheus_client.parser import text_string_to_metric_families


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_render_sums_the_peers() -> None:
    peer = metrics.Metrics()
    peer.observe(model="iris", protocol="v2", seconds=0.003, code=200)
    peer.observe(model="iris", protocol="v1", seconds=0.003, code=200)
    peer.batch_size("iris", 8)
    peer.queue_depth("iris", 2)
    peer.in_flight = 1
    delivered = prometheus_client.Counter("delivered", "Events delivered", registry=peer.registry)
    delivered.inc(5)
    sink = metrics.Metrics(peers=lambda: [peer.snapshot()])
    sink.observe(model="iris", protocol="v1", seconds=0.0007, code=200)
    sink.batch_size("iris", 3)
    sink.queue_depth("iris", 1)
    sink.in_flight = 2
    own = prometheus_client.Counter("delivered", "Events delivered", registry=sink.registry)
    own.inc(1)
    samples = _samples(sink.render().decode())
    assert samples[("modelplane_requests_total", (("model", "iris"), ("protocol", "v1")))] == 2
    assert samples[("modelplane_requests_total", (("model", "iris"), ("protocol", "v2")))] == 1
    assert samples[("modelplane_batch_size_bucket", (("le", "4.0"), ("model", "iris")))] == 1
    assert samples[("modelplane_batch_size_bucket", (("le", "8.0"), ("model", "iris")))] == 2
    assert samples[("modelplane_batch_size_sum", (("model", "iris"),))] == 11
    assert samples[("modelplane_queue_depth", (("model", "iris"),))] == 3
    assert samples[("modelplane_requests_in_flight", ())] == 3
    assert samples[("delivered_total", ())] == 6


def test_combine_keeps_the_earliest_created_time() -> None:
    first = [["events", "counter", "", [["events_total", {}, 1.0], ["events_created", {}, 200.0]]]]
    second = [["events", "counter", "", [["events_total", {}, 2.0], ["events_created", {}, 100.0]]]]
    assert metrics.combine([first, second]) == [
        ["events", "counter", "", [["events_total", {}, 3.0], ["events_created", {}, 100.0]]]
    ]


def test_render() -> None:
    sink = metrics.Metrics()
    sink.observe(model="iris", protocol="v1", seconds=0.0007, code=200)
    sink.observe(model="iris", protocol="v1", seconds=0.02, code=400)
    sink.batch_size("iris", 3)
    sink.queue_depth("iris", 5)
    sink.in_flight = 2
    samples = _samples(sink.render().decode())
    assert samples[("modelplane_requests_total", (("model", "iris"), ("protocol", "v1")))] == 2
    assert samples[("modelplane_request_errors_total", (("code", "400"), ("model", "iris"), ("protocol", "v1")))] == 1
    bucket = "modelplane_request_duration_seconds_bucket"
    assert samples[(bucket, (("le", "0.001"), ("model", "iris"), ("protocol", "v1")))] == 1
    assert samples[(bucket, (("le", "0.025"), ("model", "iris"), ("protocol", "v1")))] == 2
    assert samples[(bucket, (("le", "+Inf"), ("model", "iris"), ("protocol", "v1")))] == 2
    assert samples[("modelplane_batch_size_bucket", (("le", "4.0"), ("model", "iris")))] == 1
    assert samples[("modelplane_batch_size_bucket", (("le", "2.0"), ("model", "iris")))] == 0
    assert samples[("modelplane_queue_depth", (("model", "iris"),))] == 5
    assert samples[("modelplane_requests_in_flight", ())] == 2
