"""The validating webhook: kopf admission handlers that run the API package's validation functions.

Every rejection lists each broken rule as `<field>: <what is wrong and how to fix it>`, which the API server shows
to `kubectl` and SDK users as is. Handler ids are the webhook paths (`/validate-inferenceservice`, ...), which the
chart's ValidatingWebhookConfiguration points at.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

import kopf
from modelplane.api import validation
from modelplane.operator import observing

KINDS: dict[str, tuple[str, str, str]] = {
    "validate-inferenceservice": ("serving.kserve.io", "v1beta1", "inferenceservices"),
    "validate-servingruntime": ("serving.kserve.io", "v1alpha1", "servingruntimes"),
    "validate-clusterservingruntime": ("serving.kserve.io", "v1alpha1", "clusterservingruntimes"),
    "validate-trainedmodel": ("serving.kserve.io", "v1alpha1", "trainedmodels"),
}
RULES: dict[str, Callable[..., Sequence[validation.Violation]]] = {
    "validate-inferenceservice": validation.validate_inference_service,
    "validate-servingruntime": validation.validate_serving_runtime,
    "validate-clusterservingruntime": validation.validate_serving_runtime,
    "validate-trainedmodel": validation.validate_trained_model,
}


def rejection(violations: Sequence[validation.Violation]) -> str:
    """The message the API server shows for a rejected object: every violation, field first."""
    return "; ".join(str(v) for v in violations)


def register(registry: kopf.OperatorRegistry, *, ignore_failures: bool) -> None:
    """Register one validating handler per kind; `ignore_failures` makes an unreachable webhook admit (local runs).

    The handlers are coroutines: validation is pure and fast, so it runs on the event loop instead of queueing
    behind reconciles for a worker thread (which made admission the bottleneck of bulk creation)."""
    for handler_id, (group, version, plural) in KINDS.items():
        rule = RULES[handler_id]

        async def validate(body: kopf.Body, old: Any, memo: Any, *, _rule: Callable[..., Any] = rule, **_: Any) -> None:
            violations = _rule(observing.slim(body), old=dict(old) if old else None, config=memo.state.config)
            memo.metrics.admitted(str(body.get("kind") or ""), allowed=not violations)
            if violations:
                raise kopf.AdmissionError(rejection(violations), code=422)

        kopf.on.validate(
            group=group,
            version=version,
            plural=plural,
            id=handler_id,
            operations=["CREATE", "UPDATE"],
            ignore_failures=ignore_failures,
            registry=registry,
        )(cast(Any, validate))
