"""The controller loop: leader election, the work queue, the periodic resync, and how a key becomes a reconcile.

kopf's handlers (handlers.py) keep the caches and put keys on the queue; this module turns a key into a reconcile
of the objects the caches hold right now, read on the event loop (where kopf updates them) and handed to a thread.
Keys are `("isvc", namespace, name)`, `("tm", namespace, name)` and `("unload", namespace, name)` for a deleted
TrainedModel. Only the leader's workers take keys; without leader election this replica always leads.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
from collections.abc import Iterator, Mapping
from typing import Any

from modelplane.operator import leading, queueing, reconciling
from modelplane.operator.metrics import Metrics
from modelplane.reconcile import names

LOG = logging.getLogger("modelplane.operator")
ISVC, TM, UNLOAD = "isvc", "tm", "unload"
#: Child index ids (handlers.CHILDREN keys), in the order their objects are handed to the reconcile.
CHILD_INDEXES = (
    "child_ksvc",
    "child_deployment",
    "child_vs",
    "child_service",
    "child_hpa",
    "child_ingress",
    "child_httproute",
)
DRAIN_SECONDS = 30.0


def first(index: Any, key: Any) -> Mapping[str, Any] | None:
    """The one object an index holds under `key`, or None."""
    values = list(index.get(key, [])) if index is not None else []
    return values[0] if values else None


def values(index: Any, key: Any) -> list[Mapping[str, Any]]:
    """Every object an index holds under `key`."""
    return list(index.get(key, [])) if index is not None else []


class Controller:
    """Runs reconciles for the keys kopf's handlers queue, while this replica leads."""

    def __init__(
        self,
        state: reconciling.State,
        *,
        workers: int,
        backoff: queueing.Backoff,
        resync_seconds: float,
        election: leading.Election | None,
    ) -> None:
        self.state = state
        self.metrics = Metrics()
        self.queue = queueing.WorkQueue(
            handle=self.handle,
            backoff=backoff,
            workers=workers,
            observe=lambda key, seconds, ok: self.metrics.reconciled(key[0], seconds=seconds, ok=ok),
        )
        self.metrics.follow(waiting=self.queue.waiting, running=self.queue.running, leading=lambda: self.leading)
        self.resync_seconds = resync_seconds
        #: kopf's live indexes by id, set by the startup handler.
        self.indexes: Mapping[str, Any] = {}
        #: Whether the credentials allow watching EndpointSlices (without, TrainedModels cannot find replicas).
        self.endpoints_watched = True
        #: Deleted TrainedModels waiting for their unload: (namespace, name) -> last seen body.
        self.unloading: dict[tuple[str, str], Mapping[str, Any]] = {}
        self._pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="reconcile")
        self._tasks: list[asyncio.Task[None]] = []
        self.elector = (
            leading.Elector(state.cluster, election, on_started=self._started, on_stopped=self.queue.gate.clear)
            if election is not None
            else None
        )

    @property
    def leading(self) -> bool:
        """Whether this replica reconciles now."""
        return self.queue.gate.is_set()

    def start(self) -> None:
        """Start workers, resync and election on the running loop (before kopf starts, so kopf leaves them be)."""
        self._tasks = self.queue.start()
        self._tasks.append(
            asyncio.create_task(self.queue.resync(every=self.resync_seconds, keys=self.keys), name="resync")
        )
        if self.elector is not None:
            self._tasks.append(asyncio.create_task(self.elector.run(), name="leader election"))
        else:
            self.queue.gate.set()

    async def stop(self) -> None:
        """Stop taking keys, let running reconciles finish, hand the Lease over, stop every task."""
        self.queue.gate.clear()
        if not await self.queue.idle(timeout=DRAIN_SECONDS):
            LOG.warning("reconciles still running after %.0f s; stopping anyway", DRAIN_SECONDS)
        if self.elector is not None:
            await self.elector.release()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _started(self) -> None:
        self.queue.gate.set()
        self.queue.add_all(self.keys())

    def keys(self) -> Iterator[queueing.Key]:
        """Every InferenceService and TrainedModel the caches hold (a resync, or a new leader's first pass)."""
        for index_id, kind in (("isvc_index", ISVC), ("tm_index", TM)):
            for namespace, name in list(self.indexes.get(index_id) or {}):
                yield (kind, namespace, name)

    def trained_models_of(self, namespace: str, isvc: str) -> Iterator[queueing.Key]:
        """Keys of the TrainedModels whose parent is `isvc`."""
        for tm in values(self.indexes.get("tm_parent_index"), (namespace, isvc)):
            yield (TM, namespace, tm["metadata"]["name"])

    async def handle(self, key: queueing.Key) -> float | None:
        """Reconcile the object `key` names as the caches hold it now (nothing when it is gone)."""
        if not self.indexes:
            return 1.0  # kopf has not started the caches yet
        kind, namespace, name = key
        if kind == ISVC:
            job = self._isvc_job(namespace, name)
        elif kind == TM:
            job = self._tm_job(namespace, name)
        else:
            job = self._unload_job(namespace, name)
        if job is None:
            LOG.debug("%s %s/%s is gone; nothing to reconcile", kind, namespace, name)
            return None
        LOG.debug("reconciling %s %s/%s", kind, namespace, name)
        result: float | None = await asyncio.get_running_loop().run_in_executor(self._pool, job)
        return result

    def _isvc_job(self, namespace: str, name: str) -> Any:
        isvc = first(self.indexes.get("isvc_index"), (namespace, name))
        if isvc is None:
            return None
        children = [c for index_id in CHILD_INDEXES for c in values(self.indexes.get(index_id), (namespace, name))]
        return functools.partial(
            reconciling.inference_service,
            self.state,
            isvc=isvc,
            children=children,
            runtimes=values(self.indexes.get("runtime_index"), namespace),
            cluster_runtimes=values(self.indexes.get("cluster_runtime_index"), ""),
            service_accounts=self.indexes.get("service_account_index"),
        )

    def _tm_job(self, namespace: str, name: str) -> Any:
        tm = first(self.indexes.get("tm_index"), (namespace, name))
        if tm is None or tm["metadata"].get("deletionTimestamp"):
            return None
        parent_name = str((tm.get("spec") or {}).get("inferenceService", ""))
        return functools.partial(
            reconciling.trained_model,
            self.state,
            tm=tm,
            parent=first(self.indexes.get("isvc_index"), (namespace, parent_name)),
            siblings=values(self.indexes.get("tm_parent_index"), (namespace, parent_name)),
            endpoints=values(self.indexes.get("endpoint_index"), (namespace, parent_name)),
            replicas_error=""
            if self.endpoints_watched
            else "the operator may not list/watch EndpointSlices, so it cannot find the predictor's replicas; "
            "give it the ClusterRole of its version",
            runtimes=values(self.indexes.get("runtime_index"), namespace),
            cluster_runtimes=values(self.indexes.get("cluster_runtime_index"), ""),
        )

    def _unload_job(self, namespace: str, name: str) -> Any:
        tm = self.unloading.pop((namespace, name), None)
        if tm is None:
            return None
        parent_name = str((tm.get("spec") or {}).get("inferenceService", ""))
        return functools.partial(
            reconciling.unload_trained_model,
            self.state,
            tm=tm,
            parent=first(self.indexes.get("isvc_index"), (namespace, parent_name)),
            endpoints=values(self.indexes.get("endpoint_index"), (namespace, parent_name)),
        )


def owner_key(namespace: str, labels: Mapping[str, str]) -> queueing.Key:
    """The InferenceService key of a child, from its label."""
    return (ISVC, namespace, labels[names.ISVC_LABEL])
