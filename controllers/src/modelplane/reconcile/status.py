"""KServe's InferenceService status, assembled from what each deployment mode observed of its children.

`url`, `address`, `components.<c>`, the conditions PredictorReady / TransformerReady / ExplainerReady /
IngressReady / Ready, and `modelStatus` (transition status and model states, as KServe reports them).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from modelplane.reconcile import conditions
from modelplane.reconcile.observed import Observed
from modelplane.reconcile.plan import Event

CONDITION_OF = {"predictor": "PredictorReady", "transformer": "TransformerReady", "explainer": "ExplainerReady"}


@dataclasses.dataclass(frozen=True)
class Readiness:
    """Whether one child-derived condition holds, with the reason and message to show when it does not."""

    ok: bool
    reason: str = ""
    message: str = ""


@dataclasses.dataclass
class Layout:
    """What a deployment mode produced: desired children, per-component status and readiness, events."""

    children: list[dict[str, Any]]
    components: dict[str, dict[str, Any]]
    readiness: dict[str, Readiness]
    ingress: Readiness
    url: str
    address: str
    events: list[Event]


def model_status(*, predictor_ready: bool, reason: str, message: str) -> dict[str, Any]:
    """`modelStatus`: UpToDate and Loaded once the predictor is ready, else InProgress and Pending."""
    if predictor_ready:
        return {"transitionStatus": "UpToDate", "states": {"activeModelState": "Loaded", "targetModelState": "Loaded"}}
    result: dict[str, Any] = {
        "transitionStatus": "InProgress",
        "states": {"activeModelState": "Pending", "targetModelState": "Loaded"},
    }
    if reason == "Failed":
        result["transitionStatus"] = "BlockedByFailedLoad"
        result["lastFailureInfo"] = {"reason": "ModelLoadFailed", "message": message}
    return result


def assemble(*, layout: Layout, observed: Observed) -> dict[str, Any]:
    """The whole status subresource for one reconcile."""
    previous = (observed.isvc.get("status") or {}).get("conditions") or []
    now = observed.now
    found: list[dict[str, Any]] = []
    for component, readiness in layout.readiness.items():
        found.append(
            conditions.make(
                type_=CONDITION_OF[component],
                ok=readiness.ok,
                reason=readiness.reason,
                message=readiness.message,
                previous=previous,
                now=now,
            )
        )
    ing = layout.ingress
    found.append(
        conditions.make(
            type_="IngressReady", ok=ing.ok, reason=ing.reason, message=ing.message, previous=previous, now=now
        )
    )
    blocking = [c for c in found if c["status"] != "True"]
    found.append(
        conditions.make(
            type_="Ready",
            ok=not blocking,
            reason=blocking[0].get("reason", "") if blocking else "",
            message=f"{blocking[0]['type']} is not ready" if blocking else "",
            previous=previous,
            now=now,
        )
    )
    predictor = layout.readiness["predictor"]
    result: dict[str, Any] = {
        "observedGeneration": observed.isvc["metadata"].get("generation", 1),
        "components": layout.components,
        "conditions": conditions.ordered(found),
        "modelStatus": model_status(predictor_ready=predictor.ok, reason=predictor.reason, message=predictor.message),
    }
    if ing.ok:
        result["url"] = layout.url
        result["address"] = {"url": layout.address}
    return result
