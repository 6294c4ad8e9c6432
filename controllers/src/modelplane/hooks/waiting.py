"""Wait until this release's validating webhook answers the API server: the post-install readiness check.

The probe is a server-side dry-run create of a small InferenceService that breaks a rule only the webhook checks
(minReplicas above maxReplicas), so nothing is stored and the whole path the first user request takes is
exercised: the Service's endpoints, TLS with the injected CA, the handler. The webhook serves once one of the
configuration's own webhooks denies the probe; an admitted probe means the webhook was never heard from (with
`failurePolicy: Ignore` the API server admits what it cannot get judged), so waiting goes on (see `probes`).
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from modelplane.hooks import connecting, errors, probes

PROBE_NAME = "modelplane-webhook-probe"


@dataclasses.dataclass(frozen=True)
class Target:
    """The webhooks of one ValidatingWebhookConfiguration that judge InferenceServices."""

    configuration: str
    webhooks: tuple[str, ...]


def probe_object(*, namespace: str) -> dict[str, Any]:
    """The dry-run InferenceService: schema-valid, tiny, never stored, and denied by a working webhook."""
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": PROBE_NAME, "namespace": namespace},
        "spec": {
            "predictor": {
                "minReplicas": 2,
                "maxReplicas": 1,
                "model": {"modelFormat": {"name": "sklearn"}, "storageUri": "pvc://probe/model"},
            }
        },
    }


def _judges_inferenceservices(webhook: Any) -> bool:
    for rule in webhook.rules or []:
        groups, resources, operations = rule.api_groups or [], rule.resources or [], rule.operations or []
        if (
            set(groups) & {"serving.kserve.io", "*"}
            and set(resources) & {"inferenceservices", "*"}
            and set(operations) & {"CREATE", "*"}
        ):
            return True
    return False


def target(cluster: connecting.Cluster, *, configuration: str, namespace: str) -> Target:
    """The configuration's InferenceService webhooks that take in `namespace`; HookError saying why when none."""
    api = client.AdmissionregistrationV1Api(cluster.api)
    try:
        vwc = api.read_validating_webhook_configuration(configuration)
        metadata = client.CoreV1Api(cluster.api).read_namespace(namespace).metadata
        labels = (metadata.labels if metadata is not None else None) or {}
    except ApiException as exc:
        raise errors.HookError(
            f"cannot read ValidatingWebhookConfiguration {configuration} or namespace {namespace}: "
            f"{exc.status} {exc.reason}; check the hook's RBAC"
        ) from exc
    judging = [w for w in vwc.webhooks or [] if _judges_inferenceservices(w)]
    if not judging:
        raise errors.HookError(f"{configuration} has no webhook for InferenceService creates, so none can answer")
    try:
        reaching = [w.name for w in judging if probes.selects(_selector(w.namespace_selector), labels)]
    except ValueError as exc:
        raise errors.HookError(f"{configuration}: {exc}") from exc
    if not reaching:
        raise errors.HookError(
            f"the namespaceSelector of {configuration} leaves out namespace {namespace} (labels {labels}), so the "
            "readiness probe can never reach the webhook: label the namespace, widen webhook.namespaceSelector, "
            "or turn webhook.readinessHook off"
        )
    return Target(configuration=configuration, webhooks=tuple(reaching))


def _selector(selector: Any) -> dict[str, Any] | None:
    if selector is None:
        return None
    expressions = [
        {"key": e.key, "operator": e.operator, "values": e.values or []} for e in selector.match_expressions or []
    ]
    return {"matchLabels": selector.match_labels or {}, "matchExpressions": expressions}


def probe_once(cluster: connecting.Cluster, *, namespace: str, webhooks: tuple[str, ...]) -> tuple[probes.Outcome, str]:
    """One dry-run create; the outcome and what the API server's answer means."""
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
        return probes.classify(status=exc.status, message=_message(exc), webhooks=webhooks)
    return probes.classify(status=None, message="", webhooks=webhooks)


def _message(exc: ApiException) -> str:
    try:
        return str(json.loads(exc.body or "{}").get("message") or exc.reason)
    except (ValueError, AttributeError):
        return str(exc.body or exc.reason)


def wait(
    cluster: connecting.Cluster,
    *,
    namespace: str,
    configuration: str,
    timeout: float,
    interval: float,
    log: Callable[[str], None],
) -> None:
    """Probe until the webhook answers; raise with the last answer when `timeout` passes or the probe is broken."""
    found = target(cluster, configuration=configuration, namespace=namespace)
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        outcome, message = probe_once(cluster, namespace=namespace, webhooks=found.webhooks)
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
                f"the webhook of {configuration} did not answer within {timeout:.0f} s; last answer: {message}. "
                "Check the controller pods (kubectl logs), the webhook Service's endpoints and the CA bundle"
            )
        time.sleep(interval)
