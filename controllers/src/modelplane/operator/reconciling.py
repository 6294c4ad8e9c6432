"""One reconcile of one object, end to end: observe -> reconcile -> apply -> status -> events.

The work queue calls these functions (in a thread) with the objects it read from kopf's caches; the queue also
guarantees one reconcile per object at a time. A failure is raised as is: the queue retries it with backoff.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from modelplane.operator import applying, clients, loading, observing, posting
from modelplane.reconcile import endpoints as endpoints_mod
from modelplane.reconcile import inferenceservice, trainedmodel
from modelplane.reconcile.config import Config
from modelplane.reconcile.plan import Event

TM_STATUS = ("conditions", "url", "address")
#: Events about the object's own status, posted when the status changes (others when children are written).
STATUS_REASONS = ("Ready", "NotReady", "NoSupportingRuntime", "RuntimeNotRecognized", "InvalidSpec")


@dataclasses.dataclass
class State:
    """What every reconcile shares: the API connection, the configuration and what this operator wrote."""

    cluster: clients.Cluster
    config: Config
    #: The name this replica posts events under (its leader-election identity).
    instance: str = "modelplane"
    #: (namespace, name) -> (statuses our patches replaced, the status we wrote last), until the cache shows it.
    written: dict[tuple[str, str], tuple[list[dict[str, Any]], dict[str, Any]]] = dataclasses.field(
        default_factory=dict
    )
    #: What each child apply returned, to tell our own writes from someone else's edits.
    applied: applying.AppliedBook = dataclasses.field(default_factory=dict)


def _owned(status: Mapping[str, Any]) -> dict[str, Any]:
    return {k: status[k] for k in applying.OWNED_STATUS if k in status}


def fresh(state: State, isvc: Mapping[str, Any]) -> Mapping[str, Any]:
    """The InferenceService with the status this operator last wrote when the cached copy still shows one that our
    patches replaced (the watch that feeds the cache lags behind our own writes)."""
    key = (isvc["metadata"]["namespace"], isvc["metadata"]["name"])
    entry = state.written.get(key)
    if entry is None:
        return isvc
    superseded, latest = entry
    cached = _owned(isvc.get("status") or {})
    if cached in superseded:
        return {**isvc, "status": {**(isvc.get("status") or {}), **latest}}
    del state.written[key]  # the cache has caught up, or someone else changed the status since
    return isvc


def remember(state: State, *, key: tuple[str, str], before: dict[str, Any], after: dict[str, Any]) -> None:
    """Note that our patch replaced status `before` with `after` (the last few replaced statuses are kept)."""
    superseded = state.written[key][0] if key in state.written else []
    state.written[key] = ([*superseded[-4:], before], after)


def repair_events(repaired: Iterable[tuple[str, str]]) -> list[Event]:
    """One Warning per child put back after someone else changed or deleted it."""
    return [
        Event(
            type="Warning",
            reason="Repaired",
            message=f"restored {kind} {name}: it was changed or deleted outside its InferenceService",
        )
        for kind, name in repaired
    ]


def inference_service(
    state: State,
    *,
    isvc: Mapping[str, Any],
    children: Iterable[Mapping[str, Any]],
    runtimes: Iterable[Mapping[str, Any]],
    cluster_runtimes: Iterable[Mapping[str, Any]],
    service_accounts: Any = None,
) -> None:
    """Reconcile one InferenceService; events are posted only for what was written. `service_accounts` is the
    ServiceAccount index ((namespace, name) -> objects), read instead of the API when given."""
    meta = isvc["metadata"]
    if meta.get("deletionTimestamp"):
        return
    isvc = fresh(state, isvc)
    observed = observing.observe_inference_service(
        state.cluster,
        isvc=isvc,
        children=children,
        runtimes=runtimes,
        cluster_runtimes=cluster_runtimes,
        config=state.config,
        service_accounts=service_accounts,
    )
    plan = inferenceservice.reconcile(observed, state.config)
    outcome = applying.apply_children(state.cluster, plan=plan, observed=observed, book=state.applied)
    final = inferenceservice.reconcile(dataclasses.replace(observed, children=tuple(outcome.current)), state.config)
    # Against the status as stored (the observed copy may carry a mode read from the children, not yet recorded).
    changed = applying.patch_status(state.cluster, obj=isvc, status=final.status)
    if changed:
        key = (meta["namespace"], meta["name"])
        remember(state, key=key, before=_owned(observed.isvc.get("status") or {}), after=_owned(final.status))
    events = list(plan.events) if outcome.writes else []
    events += repair_events(outcome.repaired)
    if changed:
        events += [e for e in final.events if e.reason in STATUS_REASONS and e not in events]
    posting.post(state.cluster, isvc, events, instance=state.instance)


def trained_model(
    state: State,
    *,
    tm: Mapping[str, Any],
    parent: Mapping[str, Any] | None,
    siblings: Iterable[Mapping[str, Any]],
    endpoints: Iterable[Mapping[str, Any]],
    runtimes: Iterable[Mapping[str, Any]],
    cluster_runtimes: Iterable[Mapping[str, Any]],
    replicas_error: str = "",
) -> float | None:
    """Reconcile one TrainedModel: load it into every ready replica of its parent's predictor that lacks it, and
    report per replica; seconds until the next look while waiting, LoadError (retried with backoff) on failures."""
    observed = observing.observe_trained_model(
        trained_model=tm,
        parent=parent,
        siblings=siblings,
        endpoints=endpoints,
        runtimes=runtimes,
        cluster_runtimes=cluster_runtimes,
        replicas_error=replicas_error,
    )
    plan = trainedmodel.reconcile(observed)
    failures = loading.perform_all(plan.model_loads)
    final = trainedmodel.reconcile(trainedmodel.after_loads(observed, loads=plan.model_loads, failures=failures))
    changed = applying.patch_status(state.cluster, obj=tm, status=final.status, owned=TM_STATUS)
    if changed:
        posting.post(state.cluster, tm, final.events, instance=state.instance)
    if failures:
        raise loading.LoadError("; ".join(failures.values()))
    return final.requeue_after


def unload_trained_model(
    state: State, *, tm: Mapping[str, Any], parent: Mapping[str, Any] | None, endpoints: Iterable[Mapping[str, Any]]
) -> None:
    """Best effort: remove a deleted TrainedModel from every ready replica of its parent (which may be gone)."""
    if parent is None:
        return
    addresses = endpoints_mod.ready_addresses(endpoints, namespace=tm["metadata"]["namespace"])
    loads = trainedmodel.unloads(trained_model=tm, replicas=addresses)
    failures = loading.perform_all(loads)
    if failures:
        events = [Event(type="Warning", reason="ModelUnloadFailed", message=m) for m in failures.values()]
        posting.post(state.cluster, tm, events, instance=state.instance)
