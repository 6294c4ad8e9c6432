"""Status conditions in Knative's shape, with `lastTransitionTime` kept while a condition's status is unchanged.

Keeping the old transition time is what makes a reconcile of an unchanged object produce an identical status, so the
operator's status patch is a no-op and the object's resourceVersion stays put.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

ORDER = ("PredictorReady", "TransformerReady", "ExplainerReady", "IngressReady", "Ready")


def make(
    *, type_: str, ok: bool | None, reason: str = "", message: str = "", previous: Iterable[Mapping[str, Any]], now: str
) -> dict[str, Any]:
    """One condition; `ok` None means Unknown."""
    status = "Unknown" if ok is None else ("True" if ok else "False")
    condition: dict[str, Any] = {"type": type_, "status": status}
    if reason:
        condition["reason"] = reason
    if message:
        condition["message"] = message
    last = next((c for c in previous if c.get("type") == type_), None)
    if last is not None and last.get("status") == status and last.get("lastTransitionTime"):
        condition["lastTransitionTime"] = last["lastTransitionTime"]
    else:
        condition["lastTransitionTime"] = now
    return condition


def ordered(conditions: Iterable[dict[str, Any]], *, order: tuple[str, ...] = ORDER) -> list[dict[str, Any]]:
    """Conditions in a fixed order (known types first, as listed; any others after, by type)."""
    rank = {t: i for i, t in enumerate(order)}
    return sorted(conditions, key=lambda c: (rank.get(c["type"], len(order)), c["type"]))


def is_true(conditions: Iterable[Mapping[str, Any]], type_: str) -> bool:
    """Whether `type_` is present and True."""
    return any(c.get("type") == type_ and c.get("status") == "True" for c in conditions)
