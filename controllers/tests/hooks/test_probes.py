"""Tests for modelplane.hooks.probes: which API-server answers prove the configuration's own webhook answered the
readiness probe, which mean it is not reachable (or not heard from) yet, and which refuse the probe for a reason
waiting cannot fix; and the namespaceSelector matching that decides whether the probe can reach the webhook."""

from __future__ import annotations

from typing import Any

import pytest
from modelplane.hooks import probes

S, N, B = probes.Outcome.SERVED, probes.Outcome.NOT_YET, probes.Outcome.BROKEN
OURS = ("inferenceservice.mp-modelplane.validation.modelplane.io",)


@pytest.mark.parametrize(
    ("status", "message", "outcome", "meaning"),
    [
        pytest.param(None, "", N, "admitted without a verdict", id="admitted-proves-nothing"),
        pytest.param(201, "", N, "failurePolicy is Ignore", id="created-proves-nothing"),
        pytest.param(409, 'inferenceservices "p" already exists', N, "admitted", id="already-exists-after-admission"),
        pytest.param(
            400,
            'admission webhook "inferenceservice.mp-modelplane.validation.modelplane.io" denied the request: x',
            S,
            "denied the probe",
            id="denied-by-ours",
        ),
        pytest.param(
            400,
            'admission webhook "inferenceservice.other-modelplane.validation.modelplane.io" denied the request: x',
            N,
            "another webhook (inferenceservice.other-modelplane",
            id="denied-by-another-release",
        ),
        pytest.param(
            500,
            'Internal error occurred: failed calling webhook "x": failed to call webhook: Post "https://svc:443": '
            'no endpoints available for service "mp-webhook"',
            N,
            "no endpoints",
            id="no-endpoints",
        ),
        pytest.param(
            500,
            "failed calling webhook: dial tcp 10.0.0.1:443: connect: connection refused",
            N,
            "refused",
            id="refused",
        ),
        pytest.param(
            500, "failed calling webhook: tls: x509: certificate signed by unknown authority", N, "x509", id="ca"
        ),
        pytest.param(503, "the server is currently unable to handle the request", N, "unable", id="unavailable"),
        pytest.param(422, 'InferenceService "p" is invalid: spec.predictor: Required value', B, "invalid", id="schema"),
        pytest.param(403, "forbidden: cannot create inferenceservices", B, "forbidden", id="rbac"),
        pytest.param(404, "the server could not find the requested resource", B, "not find", id="no-crd"),
    ],
)
def test_classify(status: int | None, message: str, outcome: probes.Outcome, meaning: str) -> None:
    found, text = probes.classify(status=status, message=message, webhooks=OURS)
    assert found is outcome
    assert meaning in text


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        pytest.param(None, {}, True, id="none-selects-all"),
        pytest.param({}, {"a": "1"}, True, id="empty-selects-all"),
        pytest.param({"matchLabels": {"team": "a"}}, {"team": "a", "x": "y"}, True, id="labels-match"),
        pytest.param({"matchLabels": {"team": "a"}}, {"team": "b"}, False, id="labels-differ"),
        pytest.param(
            {"matchExpressions": [{"key": "t", "operator": "In", "values": ["a"]}]}, {"t": "a"}, True, id="in"
        ),
        pytest.param(
            {"matchExpressions": [{"key": "t", "operator": "In", "values": ["a"]}]}, {}, False, id="in-absent"
        ),
        pytest.param(
            {"matchExpressions": [{"key": "t", "operator": "NotIn", "values": ["a"]}]}, {"t": "a"}, False, id="not-in"
        ),
        pytest.param(
            {"matchExpressions": [{"key": "t", "operator": "NotIn", "values": ["a"]}]}, {}, True, id="not-in-absent"
        ),
        pytest.param({"matchExpressions": [{"key": "t", "operator": "Exists"}]}, {}, False, id="exists"),
        pytest.param(
            {"matchExpressions": [{"key": "t", "operator": "DoesNotExist"}]}, {"t": ""}, False, id="not-exists"
        ),
    ],
)
def test_selects(selector: dict[str, Any] | None, labels: dict[str, str], expected: bool) -> None:
    assert probes.selects(selector, labels) is expected


def test_an_unknown_operator_is_named() -> None:
    with pytest.raises(ValueError, match="'Near' for key 't'"):
        probes.selects({"matchExpressions": [{"key": "t", "operator": "Near"}]}, {})
