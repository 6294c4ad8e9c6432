"""Metrics: counters, error counts by status code, latency and batch-size histograms with cumulative buckets,
queue depth and in-flight, rendered in the Prometheus text format from the server's own registry."""

from __future__ import annotations

from modelplane.runtime import metrics
from prometheus_client.parser import text_string_to_metric_families


def test_render() -> None:
    sink = metrics.Metrics()
    sink.observe(model="iris", protocol="v1", seconds=0.0007, code=200)
    sink.observe(model="iris", protocol="v1", seconds=0.02, code=400)
    sink.batch_size("iris", 3)
    sink.queue_depth("iris", 5)
    sink.in_flight = 2
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(sink.render().decode())
        for sample in family.samples
    }
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
