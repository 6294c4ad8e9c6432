"""The TrainedModel reconcile: load a model into its parent InferenceService's multi-model runtime, if it fits.

The parent must exist, be Ready and run a multi-model runtime that supports the model's framework. Memory is
accounted against the predictor's memory limit: TrainedModels on the same parent that were created earlier are
counted first, and a model that would overflow is refused with a `MemoryResourceAvailable` condition instead of
being loaded. A model that fits is loaded into every ready replica of the predictor that does not hold it yet,
through the V2 repository API (`POST http://<pod>:<port>/v2/repository/models/{m}/load`, with the model's storage
URI and format as parameters), so a restarted or added replica gets it too. `ModelLoaded` says how many replicas
hold it and which failed and why.
"""

from __future__ import annotations

import dataclasses
import decimal
from collections.abc import Iterable, Mapping
from typing import Any

from modelplane.reconcile import conditions, errors, names, quantities, runtimes
from modelplane.reconcile.observed import Manifest, ObservedTrainedModel, Replica
from modelplane.reconcile.plan import Event, ModelLoad, Plan
from modelplane.reconcile.podspecs import DEFAULT_RESOURCES

ORDER = (
    "InferenceServiceReady",
    "IsMMSPredictor",
    "FrameworkSupported",
    "MemoryResourceAvailable",
    "ModelLoaded",
    "Ready",
)
RETRY_SECONDS = 30.0


def repository_url(*, replica: str, model_name: str, action: str) -> str:
    """The V2 repository endpoint of one predictor replica (`host:port`) for one model."""
    return f"http://{replica}/v2/repository/models/{model_name}/{action}"


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
        loaded = next((c for c in found if c["type"] == "ModelLoaded"), {})
        events = (Event(type="Normal", reason="ModelLoaded", message=str(loaded.get("message", ""))),)
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
    body = {"parameters": {"storage_uri": tm["spec"]["model"].get("storageUri", ""), "model_format": framework}}
    loads = tuple(
        ModelLoad(
            url=repository_url(replica=r.address, model_name=name, action="load"),
            action="load",
            model_name=name,
            body=body,
            replica=r.address,
        )
        for r in observed.replicas
        if not r.loaded
    )
    if observed.replicas_error:
        return _plan(observed, [*checks, ("ModelLoaded", False, "ReplicasUnknown", observed.replicas_error)], loads=())
    return _plan(
        observed, [*checks, _loaded_check(observed.replicas, predictor=f"{parent_name}-predictor")], loads=loads
    )


def _loaded_check(replicas: tuple[Replica, ...], *, predictor: str) -> tuple[str, bool, str, str]:
    if not replicas:
        return ("ModelLoaded", False, "NoReadyReplica", f"{predictor} has no ready replica; it is loaded once one is")
    loaded = sum(1 for r in replicas if r.loaded)
    failed = [r for r in replicas if r.error]
    if failed:
        detail = "; ".join(f"{r.address}: {r.error}" for r in failed)
        message = f"loaded into {loaded} of {len(replicas)} replicas of {predictor}; {detail}"
        return ("ModelLoaded", False, "ModelLoadFailed", message)
    if loaded < len(replicas):
        return ("ModelLoaded", False, "Loading", f"loading into {len(replicas) - loaded} of {len(replicas)} replicas")
    return ("ModelLoaded", True, "", f"loaded into {len(replicas)} of {len(replicas)} replicas of {predictor}")


def after_loads(
    observed: ObservedTrainedModel, *, loads: Iterable[ModelLoad], failures: Mapping[str, str]
) -> ObservedTrainedModel:
    """The observation once `loads` were sent: each replica loaded, or holding the error `failures` names for it."""
    sent = {load.replica for load in loads}
    replicas = tuple(
        dataclasses.replace(r, loaded=r.address not in failures, error=failures.get(r.address, ""))
        if r.address in sent
        else r
        for r in observed.replicas
    )
    return dataclasses.replace(observed, replicas=replicas)


def unloads(*, trained_model: Manifest, replicas: Iterable[str]) -> tuple[ModelLoad, ...]:
    """The requests that remove a deleted TrainedModel from each replica (`host:port`) of its parent."""
    name = trained_model["metadata"]["name"]
    return tuple(
        ModelLoad(
            url=repository_url(replica=r, model_name=name, action="unload"),
            action="unload",
            model_name=name,
            body={},
            replica=r,
        )
        for r in replicas
    )


def _order_key(tm: Mapping[str, Any]) -> tuple[str, str]:
    return (str(tm["metadata"].get("creationTimestamp", "")), str(tm["metadata"]["name"]))


def _mib(value: decimal.Decimal) -> int:
    return int(value / (2**20))
