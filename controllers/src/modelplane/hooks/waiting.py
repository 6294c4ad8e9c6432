"""Wait until the API server gets an answer from the validating webhook: the post-install readiness check.

The probe is a server-side dry-run create of a small InferenceService, so nothing is stored and the whole path the
first user request takes is exercised: the Service's endpoints, TLS with the injected CA, the handler.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from modelplane.hooks import connecting, errors, probes

PROBE_NAME = "modelplane-webhook-probe"


def probe_object(*, namespace: str) -> dict[str, Any]:
    """The dry-run InferenceService: valid, tiny, never stored."""
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": PROBE_NAME, "namespace": namespace},
        "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"}, "storageUri": "pvc://probe/model"}}},
    }


def probe_once(cluster: connecting.Cluster, *, namespace: str) -> tuple[probes.Outcome, str]:
    """One dry-run create; the outcome and the API server's message."""
    api = client.CustomObjectsApi(cluster.api)
    try:
        api.create_namespaced_custom_object(
            "serving.kserve.io",
            "v1beta1",
            namespace,
            "inferenceservices",
            probe_object(namespace=namespace),
            dry_run="All",
        )
    except ApiException as exc:
        message = _message(exc)
        return probes.classify(status=exc.status, message=message), message
    return probes.Outcome.SERVED, "admitted"


def _message(exc: ApiException) -> str:
    try:
        return str(json.loads(exc.body or "{}").get("message") or exc.reason)
    except (ValueError, AttributeError):
        return str(exc.body or exc.reason)


def wait(
    cluster: connecting.Cluster, *, namespace: str, timeout: float, interval: float, log: Callable[[str], None]
) -> None:
    """Probe until the webhook answers; raise with the last message when `timeout` passes or the probe is broken."""
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        outcome, message = probe_once(cluster, namespace=namespace)
        if outcome is probes.Outcome.SERVED:
            log(f"the webhook answers ({message})")
            return
        if outcome is probes.Outcome.BROKEN:
            raise errors.HookError(f"the webhook probe was refused for a reason waiting cannot fix: {message}")
        if message != last:
            log(f"waiting for the webhook: {message}")
            last = message
        if time.monotonic() + interval > deadline:
            raise errors.HookError(
                f"the webhook did not answer within {timeout:.0f} s; last answer: {message}. Check the controller "
                "pods (kubectl logs), the webhook Service's endpoints and the CA bundle"
            )
        time.sleep(interval)
