"""High availability with two operator processes on one Lease, against the local control plane.

Covers: both replicas serve the validating webhook (each answers an AdmissionReview on its own port, follower
included); only the Lease holder reconciles (every Event the pair posts comes from it); when the leader is stopped
(SIGTERM, as Kubernetes stops a pod) it releases the Lease and the other replica takes over within seconds, and
reconciles the next change. The pair watches a namespace of its own, so this run's main operator stays out of it.
"""

from __future__ import annotations

import json
import ssl
import time
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.cluster


def _isvc(namespace: str, *, storage_uri: str) -> str:
    return json.dumps(
        {
            "apiVersion": "serving.kserve.io/v1beta1",
            "kind": "InferenceService",
            "metadata": {
                "name": "ha",
                "namespace": namespace,
                "annotations": {"serving.kserve.io/deploymentMode": "RawDeployment"},
            },
            "spec": {"predictor": {"tensorflow": {"storageUri": storage_uri}}},
        }
    )


def _review(port: int) -> dict[str, Any]:
    """Ask one replica's webhook, directly, about an InferenceService with minReplicas above maxReplicas."""
    review = {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": str(uuid.uuid4()),
            "kind": {"group": "serving.kserve.io", "version": "v1beta1", "kind": "InferenceService"},
            "resource": {"group": "serving.kserve.io", "version": "v1beta1", "resource": "inferenceservices"},
            "operation": "CREATE",
            "namespace": "x",
            "name": "bounds",
            "userInfo": {"username": "test"},
            "object": json.loads(_isvc("x", storage_uri="gs://m/a"))
            | {"spec": {"predictor": {"sklearn": {"storageUri": "gs://m/a"}, "minReplicas": 5, "maxReplicas": 2}}},
            "dryRun": False,
        },
    }
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the replica's self-signed certificate; only the answer is under test
    request = urllib.request.Request(
        f"https://127.0.0.1:{port}/validate-inferenceservice",
        data=json.dumps(review).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10, context=context) as answer:
        return dict(json.loads(answer.read())["response"])


def _holder(kube: Any, lease: str, namespace: str) -> str:
    obj = kube.get("lease", lease, namespace=namespace) or {}
    return str((obj.get("spec") or {}).get("holderIdentity") or "")


def _reporters(kube: Any, namespace: str) -> list[str]:
    """Who posted each Event about InferenceServices in `namespace` (this pair only: `op-*` instances)."""
    events = kube.list("events", namespace=namespace)
    return [
        str(e.get("reportingInstance"))
        for e in events
        if e.get("involvedObject", {}).get("kind") == "InferenceService"
        and str(e.get("reportingInstance", "")).startswith("op-")
    ]


def test_one_replica_reconciles_both_serve_the_webhook_and_the_other_takes_over(
    unwatched_namespace: str, system_namespace: str, start_operator: Callable[..., Any], kube: Any
) -> None:
    ha_namespace = unwatched_namespace
    lease = f"ha-{uuid.uuid4().hex[:6]}"
    args = ("--namespace", ha_namespace, "--controller-namespace", system_namespace, "--lease-name", lease)
    first = start_operator("op-a", *args)
    first.wait_healthy()
    kube.wait_for("op-a to hold the Lease", lambda: _holder(kube, lease, system_namespace).startswith("op-a_"))
    second = start_operator("op-b", *args)
    second.wait_healthy()

    for replica in (first, second):
        answer = _review(replica.webhook_port)
        assert answer["allowed"] is False, f"{replica.pod_name} admitted an invalid InferenceService"
        assert "spec.predictor.minReplicas" in answer["status"]["message"]

    assert kube.apply(_isvc(ha_namespace, storage_uri="gs://models/ha/v1")).returncode == 0
    kube.wait_for("the Deployment", lambda: kube.get("deployment", "ha-predictor", namespace=ha_namespace))
    kube.wait_for("the leader's events", lambda: _reporters(kube, ha_namespace))
    time.sleep(2)  # time for a follower to (wrongly) act on the same changes
    assert {r.split("_")[0] for r in _reporters(kube, ha_namespace)} == {"op-a"}
    assert _holder(kube, lease, system_namespace).startswith("op-a_"), "the Lease moved while both were healthy"

    stopped = time.monotonic()
    first.stop()
    kube.wait_for(
        "op-b to take the Lease over",
        lambda: _holder(kube, lease, system_namespace).startswith("op-b_"),
        timeout=10,
    )
    took = time.monotonic() - stopped
    assert took < 10, f"hand-over took {took:.1f} s"

    assert kube.apply(_isvc(ha_namespace, storage_uri="gs://models/ha/v2")).returncode == 0

    def rolled_out() -> bool:
        deployment = kube.get("deployment", "ha-predictor", namespace=ha_namespace) or {}
        init = (deployment.get("spec", {}).get("template", {}).get("spec", {}).get("initContainers") or [{}])[0]
        return bool(init.get("args", [""])[0] == "gs://models/ha/v2")

    kube.wait_for("the new leader to roll out the change", rolled_out)
    assert any(r.startswith("op-b_") for r in _reporters(kube, ha_namespace)), "op-b reconciled nothing"
    assert second.healthy(), f"op-b is unhealthy:\n{second.log(40)}"
