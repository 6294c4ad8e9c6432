"""Journey: a cluster admin reads the installed controller's Prometheus metrics (through the API server's pod proxy,
as on any cluster; with the Prometheus Operator the chart's ServiceMonitor scrapes the same port). Creating an
InferenceService and a refused one shows in them: the webhook's admission verdicts on the replicas, the leader's
successful InferenceService reconciles, and exactly one replica leading."""

from __future__ import annotations

import json
import re

import pytest

RELEASE_NAMESPACE = "modelplane-system"  # as hack/local-platform.sh and hack/kind.sh install it
METRICS_PORT = 8080  # the chart's controller.metricsPort


def scrape(journey) -> dict[str, float]:
    """Every controller replica's samples, summed by series (`name{labels}` -> value)."""
    listed = journey.kubectl(
        "get", "pods", "-n", RELEASE_NAMESPACE, "-l", "app.kubernetes.io/component=controller", "-o", "json"
    )
    pods = [p["metadata"]["name"] for p in json.loads(listed)["items"] if p["status"].get("phase") == "Running"]
    assert pods, f"no running controller pod in {RELEASE_NAMESPACE}"
    totals: dict[str, float] = {}
    for pod in pods:
        text = journey.kubectl(
            "get", "--raw", f"/api/v1/namespaces/{RELEASE_NAMESPACE}/pods/{pod}:{METRICS_PORT}/proxy/metrics"
        )
        for line in text.splitlines():
            match = re.match(r"^(modelplane_[a-z_]+(?:\{[^}]*\})?) (\S+)$", line)
            if match:
                totals[match.group(1)] = totals.get(match.group(1), 0.0) + float(match.group(2))
    return totals


def test_the_controller_counts_reconciles_and_admissions(journey, model_repository: str, request) -> None:
    if request.config.getoption("--controller") != "installed":
        pytest.skip("reads the installed controller's pods; --controller local runs the operator on this host")
    reconciled = 'modelplane_controller_reconcile_total{kind="InferenceService",result="success"}'
    allowed = 'modelplane_webhook_admission_total{allowed="true",kind="InferenceService"}'
    refused = 'modelplane_webhook_admission_total{allowed="false",kind="InferenceService"}'
    before = scrape(journey)
    assert before["modelplane_controller_leader"] == 1, "exactly one replica leads"

    journey.apply(journey.sklearn("counted", f"{model_repository}/iris/model.joblib"))
    journey.ready("counted")
    bad = journey.sklearn("counted-bad", f"{model_repository}/iris/model.joblib", minReplicas=3, maxReplicas=1)
    with pytest.raises(RuntimeError, match="minReplicas"):
        journey.apply(bad)  # refused by the webhook (a rule across two fields, which the schema cannot hold)

    after = journey.wait(
        "the reconciles and admissions in the controller's metrics",
        lambda: (lambda m: m if m.get(reconciled, 0) > before.get(reconciled, 0) else None)(scrape(journey)),
    )
    assert after.get(allowed, 0) >= before.get(allowed, 0) + 1
    assert after.get(refused, 0) >= before.get(refused, 0) + 1
    assert after['modelplane_controller_reconcile_time_seconds_count{kind="InferenceService"}'] > 0
    assert "modelplane_workqueue_depth" in after
