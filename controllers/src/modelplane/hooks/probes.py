"""How to read the API server's answer to a dry-run create that the validating webhook must see: pure.

The webhook serves when the API server got an answer from it: the object was admitted, or denied by the webhook
(`admission webhook ... denied the request`). It does not serve yet when the API server could not call it: no
endpoints, connection refused, a TLS error while the CA is being injected, a timeout. Any other refusal (the
probe object failing the CRD schema, missing RBAC) is BROKEN: waiting will not fix it.
"""

from __future__ import annotations

import enum

_NOT_SERVING = (
    "failed calling webhook",
    "no endpoints available",
    "connection refused",
    "x509:",
    "context deadline exceeded",
    "service unavailable",
    "i/o timeout",
)


class Outcome(enum.Enum):
    SERVED = "served"
    NOT_YET = "not yet"
    BROKEN = "broken"


def classify(*, status: int | None, message: str) -> Outcome:
    """SERVED when the webhook answered, NOT_YET when the API server could not reach it, BROKEN otherwise."""
    text = message.lower()
    if status is None or (200 <= status < 300) or status == 409:
        # 409 AlreadyExists is decided after admission, so the webhook has answered.
        return Outcome.SERVED
    if any(marker in text for marker in _NOT_SERVING):
        return Outcome.NOT_YET
    if "admission webhook" in text and "denied the request" in text:
        return Outcome.SERVED
    if status in (403, 404):
        return Outcome.BROKEN
    return Outcome.NOT_YET if status >= 500 else Outcome.BROKEN
