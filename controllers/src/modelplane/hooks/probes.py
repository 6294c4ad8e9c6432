"""How to read the API server's answer to the readiness probe, a dry-run create the webhook must deny: pure.

The probe InferenceService breaks a rule only the webhook checks (minReplicas above maxReplicas), so the webhook
has answered only when the API server reports that one of *this* configuration's webhooks denied it
(`admission webhook "<name>" denied the request`). An admitted probe proves nothing: with `failurePolicy: Ignore`
the API server admits objects when it cannot reach the webhook. The webhook does not serve yet when the API
server could not call it (no endpoints, connection refused, a TLS error while the CA is being injected, a
timeout), when the probe was admitted, or when another webhook denied it first. Any other refusal (the probe
failing the CRD schema, missing RBAC, no such CRD) is BROKEN: waiting will not fix it.

`selects` tells whether a webhook's namespaceSelector takes in the probe's namespace, so a selector that leaves
it out is reported at once instead of after the timeout.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Collection, Mapping
from typing import Any

_NOT_SERVING = (
    "failed calling webhook",
    "no endpoints available",
    "connection refused",
    "x509:",
    "context deadline exceeded",
    "service unavailable",
    "i/o timeout",
)
_DENIED = re.compile(r'admission webhook "(?P<name>[^"]+)" denied the request')


class Outcome(enum.Enum):
    SERVED = "served"
    NOT_YET = "not yet"
    BROKEN = "broken"


def classify(*, status: int | None, message: str, webhooks: Collection[str]) -> tuple[Outcome, str]:
    """The outcome of one probe answer (`status` None: admitted) and what it means, given the webhook names of
    the configuration under test."""
    text = message.lower()
    if status is None or (200 <= status < 300) or status == 409:
        # 409 AlreadyExists is decided after admission, so that too means the probe was let through.
        return Outcome.NOT_YET, (
            "the probe was admitted without a verdict from the webhook: the API server could not reach it and "
            "its failurePolicy is Ignore, or it allowed an object it must deny"
        )
    denied = _DENIED.search(message)
    if denied:
        if denied["name"] in webhooks:
            return Outcome.SERVED, f"webhook {denied['name']} denied the probe: {message}"
        return Outcome.NOT_YET, f"another webhook ({denied['name']}) denied the probe before this one answered"
    if any(marker in text for marker in _NOT_SERVING):
        return Outcome.NOT_YET, message
    if status in (403, 404):
        return Outcome.BROKEN, message
    return (Outcome.NOT_YET if status >= 500 else Outcome.BROKEN), message


def selects(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """Whether a label selector (matchLabels and matchExpressions In/NotIn/Exists/DoesNotExist) takes in labels;
    an empty or missing selector takes in everything."""
    for key, value in ((selector or {}).get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in (selector or {}).get("matchExpressions") or []:
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
        if operator not in ("In", "NotIn", "Exists", "DoesNotExist"):
            raise ValueError(f"unknown label selector operator {operator!r} for key {key!r}")
    return True
