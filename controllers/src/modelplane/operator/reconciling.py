"""One reconcile of one object, end to end: observe -> reconcile -> apply -> status -> events.

The kopf handlers call these functions; they hold a per-object lock so an InferenceService handler and a child's
event never reconcile the same object at once, and they turn API failures into kopf's retryable errors.
"""

from __future__ import annotations

import collections
import dataclasses
import threading
from collections.abc import Iterable, Mapping
from typing import Any, cast

import kopf
from modelplane.operator import applying, clients, loading, observing
from modelplane.reconcile import inferenceservice, trainedmodel
from modelplane.reconcile.config import Config
from modelplane.reconcile.plan import Event

TM_STATUS = ("conditions", "url", "address")
#: Events about the object's own status, posted when the status changes (others when children are written).
STATUS_REASONS = ("Ready", "NotReady", "NoSupportingRuntime", "RuntimeNotRecognized", "InvalidSpec")


@dataclasses.dataclass
class State:
    """What every handler shares: the API connection, the configuration and the per-object locks."""

    cluster: clients.Cluster
    config: Config
    locks: collections.defaultdict[tuple[str, str, str], threading.Lock] = dataclasses.field(
        default_factory=lambda: collections.defaultdict(threading.Lock)
    )
    guard: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    #: (namespace, name) -> (statuses our patches replaced, the status we wrote last), until the cache shows it.
    written: dict[tuple[str, str], tuple[list[dict[str, Any]], dict[str, Any]]] = dataclasses.field(
        default_factory=dict
    )

    def lock_for(self, *key: str) -> threading.Lock:
        """The lock of one object (created on first use)."""
        with self.guard:
            return self.locks[(key[0], key[1], key[2])]


def _owned(status: Mapping[str, Any]) -> dict[str, Any]:
    return {k: status[k] for k in applying.OWNED_STATUS if k in status}


def fresh(state: State, isvc: Mapping[str, Any]) -> Mapping[str, Any]:
    """The InferenceService with the status this operator last wrote when the cached copy still shows one that our
    patches replaced (the watch that feeds the cache lags behind our own writes). Call under the object's lock."""
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


def _post(obj: Mapping[str, Any], events: Iterable[Event]) -> None:
    for event in events:
        kopf.event(cast(kopf.Body, obj), type=event.type, reason=event.reason, message=event.message)


def _retryable(exc: clients.ApiError) -> kopf.TemporaryError | kopf.PermanentError:
    if exc.retryable:
        return kopf.TemporaryError(str(exc), delay=5)
    return kopf.PermanentError(str(exc))


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
    with state.lock_for("isvc", meta["namespace"], meta["name"]):
        isvc = fresh(state, isvc)
        try:
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
            current, writes = applying.apply_children(state.cluster, plan=plan, observed=observed)
            final = inferenceservice.reconcile(dataclasses.replace(observed, children=tuple(current)), state.config)
            changed = applying.patch_status(state.cluster, obj=observed.isvc, status=final.status)
        except clients.ApiError as exc:
            raise _retryable(exc) from exc
        if changed:
            key = (meta["namespace"], meta["name"])
            remember(state, key=key, before=_owned(observed.isvc.get("status") or {}), after=_owned(final.status))
    events = list(plan.events) if writes else []
    if changed:
        events += [e for e in final.events if e.reason in STATUS_REASONS and e not in events]
    _post(isvc, events)


def trained_model(
    state: State,
    *,
    tm: Mapping[str, Any],
    runtimes: Iterable[Mapping[str, Any]],
    cluster_runtimes: Iterable[Mapping[str, Any]],
) -> None:
    """Reconcile one TrainedModel: load it when it fits, report why when it does not, retry while waiting."""
    meta = tm["metadata"]
    with state.lock_for("tm", meta["namespace"], meta["name"]):
        try:
            observed = observing.observe_trained_model(
                state.cluster, trained_model=tm, runtimes=runtimes, cluster_runtimes=cluster_runtimes
            )
            plan = trainedmodel.reconcile(observed)
            for load in plan.model_loads:
                loading.perform(load)
            changed = applying.patch_status(state.cluster, obj=tm, status=plan.status, owned=TM_STATUS)
        except clients.ApiError as exc:
            raise _retryable(exc) from exc
        except loading.LoadError as exc:
            kopf.event(cast(kopf.Body, tm), type="Warning", reason="ModelLoadFailed", message=str(exc))
            raise kopf.TemporaryError(str(exc), delay=15) from exc
    if changed:
        _post(tm, plan.events)
    if plan.requeue_after is not None:
        raise kopf.TemporaryError(
            "waiting: " + plan.status["conditions"][-1].get("message", ""), delay=plan.requeue_after
        )


def unload_trained_model(state: State, *, tm: Mapping[str, Any]) -> None:
    """Best effort: remove a deleted TrainedModel from its parent's runtime (the parent may be gone already)."""
    observed = observing.observe_trained_model(state.cluster, trained_model=tm, runtimes=(), cluster_runtimes=())
    if observed.parent is None:
        return
    try:
        loading.perform(trainedmodel.unload(trained_model=tm, parent=observed.parent))
    except loading.LoadError as exc:
        kopf.event(cast(kopf.Body, tm), type="Warning", reason="ModelUnloadFailed", message=str(exc))
