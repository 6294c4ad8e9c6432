"""The TrainedModel reconcile: load a model into its parent InferenceService's multi-model runtime, if it fits.

The parent must exist, be Ready and run a multi-model runtime that supports the model's framework. Memory is
accounted against the predictor's memory limit: TrainedModels on the same parent that were created earlier are
counted first, and a model that would overflow is refused with a `MemoryResourceAvailable` condition instead of
being loaded. A model that fits is loaded through the V2 repository API (`POST /v2/repository/models/{m}/load`).
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from typing import Any

from modelplane.reconcile import conditions, errors, names, quantities, runtimes
from modelplane.reconcile.observed import Manifest, ObservedTrainedModel
from modelplane.reconcile.plan import Event, ModelLoad, Plan
from modelplane.reconcile.podspecs import DEFAULT_RESOURCES

ORDER = ("InferenceServiceReady", "IsMMSPredictor", "FrameworkSupported", "MemoryResourceAvailable", "Ready")
RETRY_SECONDS = 30.0


def repository_url(*, parent: Manifest, model_name: str, action: str) -> str:
    """The V2 repository endpoint of the parent's predictor for one model."""
    host = names.local_host(
        name=names.component_name(parent["metadata"]["name"], "predictor"), namespace=parent["metadata"]["namespace"]
    )
    return f"http://{host}/v2/repository/models/{model_name}/{action}"


def _memory(tm: Manifest) -> decimal.Decimal:
    return quantities.parse(str(tm["spec"]["model"].get("memory", "0")), field="spec.model.memory")


def capacity(*, parent: Manifest, selection: runtimes.Selection, model: runtimes.ModelSpec) -> decimal.Decimal:
    """The memory the parent's predictor may use: its memory limit (the runtime's, or KServe's default 2Gi)."""
    for resources, field in (
        (model.container.get("resources"), f"{model.source_field}.resources.limits.memory"),
        (((selection.spec.get("containers") or [{}])[0]).get("resources"), "the runtime's memory limit"),
        (DEFAULT_RESOURCES, "the default memory limit"),
    ):
        limit = ((resources or {}).get("limits") or {}).get("memory")
        if limit:
            return quantities.parse(str(limit), field=field)
    return decimal.Decimal(0)


def _plan(
    observed: ObservedTrainedModel, checks: list[tuple[str, bool, str, str]], *, loads: tuple[ModelLoad, ...]
) -> Plan:
    previous = (observed.trained_model.get("status") or {}).get("conditions") or []
    found = [
        conditions.make(type_=t, ok=ok, reason=reason, message=message, previous=previous, now=observed.now)
        for t, ok, reason, message in checks
    ]
    failing = [c for c in found if c["status"] != "True"]
    found.append(
        conditions.make(
            type_="Ready",
            ok=not failing,
            reason=failing[0].get("reason", "") if failing else "",
            message=failing[0].get("message", "") if failing else "",
            previous=previous,
            now=observed.now,
        )
    )
    status: dict[str, Any] = {"conditions": conditions.ordered(found, order=ORDER)}
    events: tuple[Event, ...] = ()
    if failing:
        events = (
            Event(
                type="Warning",
                reason=str(failing[0].get("reason", "NotReady")),
                message=str(failing[0].get("message", "")),
            ),
        )
    else:
        parent = observed.parent or {}
        name = observed.trained_model["metadata"]["name"]
        url = (parent.get("status") or {}).get("url", "")
        status["url"] = f"{url}/v1/models/{name}:predict"
        predictor = names.local_host(
            name=names.component_name(parent["metadata"]["name"], "predictor"),
            namespace=parent["metadata"]["namespace"],
        )
        status["address"] = {"url": f"http://{predictor}/v1/models/{name}:predict"}
        events = (
            Event(type="Normal", reason="ModelLoaded", message=f"loaded into {parent['metadata']['name']}-predictor"),
        )
    return Plan(status=status, events=events, model_loads=loads, requeue_after=RETRY_SECONDS if failing else None)


def reconcile(observed: ObservedTrainedModel) -> Plan:
    """Check the parent and the memory budget, and plan the load when everything holds."""
    tm = observed.trained_model
    name = tm["metadata"]["name"]
    parent = observed.parent
    parent_name = tm["spec"].get("inferenceService", "")
    if parent is None:
        message = f"InferenceService {parent_name!r} does not exist here; create it or fix spec.inferenceService"
        return _plan(observed, [("InferenceServiceReady", False, "InferenceServiceNotFound", message)], loads=())
    if not conditions.is_true((parent.get("status") or {}).get("conditions") or [], "Ready"):
        message = f"InferenceService {parent_name!r} is not Ready yet"
        return _plan(observed, [("InferenceServiceReady", False, "InferenceServiceNotReady", message)], loads=())
    checks: list[tuple[str, bool, str, str]] = [("InferenceServiceReady", True, "", "")]
    model = runtimes.model_spec(parent["spec"]["predictor"])
    try:
        if model is None:
            raise errors.NoRuntimeError(
                f"InferenceService {parent_name!r} uses custom containers, not a serving runtime"
            )
        selection = runtimes.select(model=model, runtimes=observed.runtimes, cluster_runtimes=observed.cluster_runtimes)
    except errors.NoRuntimeError as exc:
        return _plan(observed, [*checks, ("IsMMSPredictor", False, "NoMultiModelRuntime", str(exc))], loads=())
    if not selection.spec.get("multiModel", False):
        message = f"runtime {selection.name!r} of {parent_name!r} is not multiModel; TrainedModels need one that is"
        return _plan(observed, [*checks, ("IsMMSPredictor", False, "NotMultiModel", message)], loads=())
    checks.append(("IsMMSPredictor", True, "", ""))
    framework = str(tm["spec"]["model"].get("framework", ""))
    supported = sorted({str(f.get("name")) for f in selection.spec.get("supportedModelFormats") or []})
    if framework not in supported:
        message = (
            f"spec.model.framework {framework!r} is not served by runtime {selection.name!r} "
            f"(it serves {', '.join(supported)})"
        )
        return _plan(observed, [*checks, ("FrameworkSupported", False, "FrameworkNotSupported", message)], loads=())
    checks.append(("FrameworkSupported", True, "", ""))
    total = capacity(parent=parent, selection=selection, model=model)
    earlier = [s for s in observed.siblings if _order_key(s) < _order_key(tm)]
    used = sum((_memory(s) for s in earlier), decimal.Decimal(0))
    if used + _memory(tm) > total:
        message = (
            f"spec.model.memory {tm['spec']['model'].get('memory')} does not fit: {parent_name!r} has "
            f"{_mib(total)} MiB, {_mib(used)} MiB taken by {len(earlier)} earlier TrainedModel(s); "
            "raise the predictor's memory limit or remove a model"
        )
        return _plan(
            observed, [*checks, ("MemoryResourceAvailable", False, "MemoryResourceUnavailable", message)], loads=()
        )
    checks.append(("MemoryResourceAvailable", True, "", ""))
    load = ModelLoad(
        url=repository_url(parent=parent, model_name=name, action="load"),
        action="load",
        model_name=name,
        body={"parameters": {"storage_uri": tm["spec"]["model"].get("storageUri", ""), "model_format": framework}},
    )
    return _plan(observed, checks, loads=(load,))


def unload(*, trained_model: Manifest, parent: Manifest) -> ModelLoad:
    """The request that removes a deleted TrainedModel from its parent's runtime."""
    name = trained_model["metadata"]["name"]
    return ModelLoad(
        url=repository_url(parent=parent, model_name=name, action="unload"), action="unload", model_name=name, body={}
    )


def _order_key(tm: Mapping[str, Any]) -> tuple[str, str]:
    return (str(tm["metadata"].get("creationTimestamp", "")), str(tm["metadata"]["name"]))


def _mib(value: decimal.Decimal) -> int:
    return int(value / (2**20))
