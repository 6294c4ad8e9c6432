"""Covers devcluster.probes: parsing each action, defaults, and the threshold state machine."""

from __future__ import annotations

import pytest
from modelplane.devcluster import errors, probes

CONTAINER = {"name": "c", "ports": [{"name": "http", "containerPort": 8080}]}


def test_parse_http_with_defaults_and_headers() -> None:
    probe = probes.parse(
        {"httpGet": {"path": "/ready", "port": "http", "httpHeaders": [{"name": "X", "value": "1"}]}},
        kind="readiness",
        container=CONTAINER,
        pod_ip="198.18.0.2",
    )
    assert (probe.host, probe.port, probe.path, probe.scheme, probe.headers) == (
        "198.18.0.2",
        8080,
        "/ready",
        "HTTP",
        (("X", "1"),),
    )
    assert (probe.period, probe.timeout, probe.failure_threshold, probe.success_threshold) == (10.0, 1.0, 3, 1)


def test_liveness_success_threshold_is_always_one() -> None:
    probe = probes.parse(
        {"tcpSocket": {"port": 1}, "successThreshold": 3}, kind="liveness", container=CONTAINER, pod_ip="x"
    )
    assert probe.success_threshold == 1


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param({"httpGet": {"port": "nope"}}, "names port 'nope'", id="unknown-port"),
        pytest.param({"exec": {"command": []}}, "empty command", id="empty-exec"),
        pytest.param({"periodSeconds": 1}, "has no action", id="no-action"),
    ],
)
def test_bad_probes(spec: dict, message: str) -> None:
    with pytest.raises(errors.PlanError, match=message):
        probes.parse(spec, kind="readiness", container=CONTAINER, pod_ip="x")


def test_readiness_starts_unready_and_flips_after_the_thresholds() -> None:
    probe = probes.Probe(
        kind="readiness", action="tcpSocket", success_threshold=2, failure_threshold=2, period=5, initial_delay=3
    )
    state = probes.initial(probe, started_at=100.0)
    assert not state.healthy
    assert not probes.due(state, now=102.9)
    assert probes.due(state, now=103.0)
    state = probes.record(probe, state, ok=True, now=103.0)
    assert not state.healthy
    assert state.next_at == 108.0
    state = probes.record(probe, state, ok=True, now=108.0)
    assert state.healthy
    state = probes.record(probe, state, ok=False, now=113.0)
    assert state.healthy
    state = probes.record(probe, state, ok=False, now=118.0)
    assert not state.healthy


def test_liveness_starts_healthy() -> None:
    probe = probes.Probe(kind="liveness", action="tcpSocket", failure_threshold=1)
    state = probes.initial(probe, started_at=0.0)
    assert state.healthy
    assert not probes.record(probe, state, ok=False, now=1.0).healthy
