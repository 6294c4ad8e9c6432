"""Tests for modelplane.hooks.probes: which API-server answers mean the webhook serves, is not reachable yet, or
refused the probe for a reason waiting cannot fix."""

from __future__ import annotations

import pytest
from modelplane.hooks import probes

S, N, B = probes.Outcome.SERVED, probes.Outcome.NOT_YET, probes.Outcome.BROKEN


@pytest.mark.parametrize(
    ("status", "message", "outcome"),
    [
        pytest.param(None, "", S, id="admitted"),
        pytest.param(201, "", S, id="created"),
        pytest.param(409, 'inferenceservices "p" already exists', S, id="already-exists-after-admission"),
        pytest.param(
            400, 'admission webhook "inferenceservice.validation.modelplane.io" denied the request: x', S, id="denied"
        ),
        pytest.param(
            500,
            'Internal error occurred: failed calling webhook "x": failed to call webhook: Post "https://svc:443": '
            'no endpoints available for service "mp-webhook"',
            N,
            id="no-endpoints",
        ),
        pytest.param(
            500, "failed calling webhook: dial tcp 10.0.0.1:443: connect: connection refused", N, id="refused"
        ),
        pytest.param(500, "failed calling webhook: tls: x509: certificate signed by unknown authority", N, id="ca"),
        pytest.param(503, "the server is currently unable to handle the request", N, id="unavailable"),
        pytest.param(422, 'InferenceService "p" is invalid: spec.predictor: Required value', B, id="schema"),
        pytest.param(403, "forbidden: cannot create inferenceservices", B, id="rbac"),
        pytest.param(404, "the server could not find the requested resource", B, id="no-crd"),
    ],
)
def test_classify(status: int | None, message: str, outcome: probes.Outcome) -> None:
    assert probes.classify(status=status, message=message) is outcome
