"""The kopf handlers: caches (indexes) of everything a reconcile reads, and events that queue the objects to look at.

Indexes hold the InferenceServices, their children (found by the `serving.kserve.io/inferenceservice` label), the
serving runtimes, ServiceAccounts, TrainedModels and the predictors' EndpointSlices, so reconciles read no list from
the API. Every handler is an `on.event` coroutine that only queues a key (controlling.py runs the reconciles):
kopf keeps no per-object progress in annotations, so every replica can watch while only the leader reconciles.
What queues what:

- an InferenceService's change queues it, and its TrainedModels (whose checks read the parent);
- a child's change queues its owner: always for kinds whose status feeds the owner's (Knative Service,
  Deployment); for the others on deletion, or when its content moved away from what our last apply returned
  (someone edited it), so our own writes do not cost a reconcile each;
- a serving runtime's change queues the InferenceServices that found no runtime;
- a TrainedModel's change queues it, its deletion queues the unload;
- a change of a predictor's EndpointSlice (a pod became ready, restarted, was added) queues that parent's
  TrainedModels, which loads them into the new replicas.

Handlers are registered on an explicit registry, never at import time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import kopf
from modelplane.operator import controlling, observing
from modelplane.reconcile import names

ISVC = ("serving.kserve.io", "v1beta1", "inferenceservices")
TRAINED_MODEL = ("serving.kserve.io", "v1alpha1", "trainedmodels")
RUNTIME = ("serving.kserve.io", "v1alpha1", "servingruntimes")
CLUSTER_RUNTIME = ("serving.kserve.io", "v1alpha1", "clusterservingruntimes")
ENDPOINT_SLICES = ("discovery.k8s.io", "v1", "endpointslices")
#: Child kinds: index id -> (group, version, plural, whether a change of its status can change the owner's status).
CHILDREN: dict[str, tuple[str, str, str, bool]] = {
    "child_ksvc": ("serving.knative.dev", "v1", "services", True),
    "child_deployment": ("apps", "v1", "deployments", True),
    "child_vs": ("networking.istio.io", "v1beta1", "virtualservices", False),
    "child_service": ("", "v1", "services", False),
    "child_hpa": ("autoscaling", "v2", "horizontalpodautoscalers", False),
    "child_ingress": ("networking.k8s.io", "v1", "ingresses", False),
    "child_httproute": ("gateway.networking.k8s.io", "v1", "httproutes", False),
}
API_VERSIONS = {index_id: f"{g}/{v}" if g else v for index_id, (g, v, _, _) in CHILDREN.items()}
OWNED: dict[str, Any] = {names.ISVC_LABEL: kopf.PRESENT}
PREDICTOR_SLICES: dict[str, Any] = {
    names.ISVC_LABEL: kopf.PRESENT,
    names.COMPONENT_LABEL: "predictor",
}


def drifted(controller: controlling.Controller, *, index_id: str, body: Mapping[str, Any]) -> bool:
    """Whether a child's content differs from what our last apply of it returned (or we never applied it)."""
    meta = body.get("metadata") or {}
    kind = str(body.get("kind") or "")
    key = (str(meta.get("namespace")), API_VERSIONS[index_id], kind, str(meta.get("name")))
    known = controller.state.applied.get(key)
    return known is None or known.digest != observing.content_digest(body)


def register(registry: kopf.OperatorRegistry, *, available: set[str], controller: controlling.Controller) -> None:
    """Register every handler; `available` holds the index ids of child kinds whose API the cluster serves."""
    queue = controller.queue

    @kopf.on.startup(registry=registry)
    async def share_indexes(**kwargs: Any) -> None:
        ids = (
            "isvc_index",
            "service_account_index",
            "runtime_index",
            "cluster_runtime_index",
            "tm_index",
            "tm_parent_index",
            "endpoint_index",
            *controlling.CHILD_INDEXES,
        )
        controller.indexes = {i: kwargs[i] for i in ids if i in kwargs}

    @kopf.index(*ISVC, id="isvc_index", registry=registry)
    async def isvc_index(namespace: str | None, name: str, body: kopf.Body, **_: Any) -> dict[Any, Any]:
        return {(namespace, name): observing.slim(body)}

    @kopf.index("", "v1", "serviceaccounts", id="service_account_index", registry=registry)
    async def service_account_index(namespace: str | None, name: str, body: kopf.Body, **_: Any) -> dict[Any, Any]:
        return {(namespace, name): observing.slim(body)}

    @kopf.index(*RUNTIME, id="runtime_index", registry=registry)
    async def runtime_index(namespace: str | None, body: kopf.Body, **_: Any) -> dict[Any, Any]:
        return {namespace: observing.slim(body)}

    @kopf.index(*CLUSTER_RUNTIME, id="cluster_runtime_index", registry=registry)
    async def cluster_runtime_index(body: kopf.Body, **_: Any) -> dict[Any, Any]:
        return {"": observing.slim(body)}

    @kopf.index(*TRAINED_MODEL, id="tm_index", registry=registry)
    async def tm_index(namespace: str | None, name: str, body: kopf.Body, **_: Any) -> dict[Any, Any]:
        return {(namespace, name): observing.slim(body)}

    @kopf.index(*TRAINED_MODEL, id="tm_parent_index", registry=registry)
    async def tm_parent_index(namespace: str | None, body: kopf.Body, **_: Any) -> dict[Any, Any]:
        return {(namespace, str((body.get("spec") or {}).get("inferenceService", ""))): observing.slim(body)}

    async def endpoint_index(namespace: str | None, labels: Mapping[str, str], body: kopf.Body, **_: Any) -> Any:
        return {(namespace, labels[names.ISVC_LABEL]): {k: body.get(k) for k in ("addressType", "endpoints", "ports")}}

    async def on_endpoints(namespace: str | None, labels: Mapping[str, str], **_: Any) -> None:
        queue.add_all(controller.trained_models_of(str(namespace), labels[names.ISVC_LABEL]))

    if controller.endpoints_watched:
        kopf.index(*ENDPOINT_SLICES, id="endpoint_index", labels=PREDICTOR_SLICES, registry=registry)(endpoint_index)
        kopf.on.event(*ENDPOINT_SLICES, id="follow_endpoints", labels=PREDICTOR_SLICES, registry=registry)(on_endpoints)

    for index_id, (group, version, plural, follows_status) in CHILDREN.items():
        if index_id not in available:
            continue

        async def child_index(namespace: str | None, labels: Mapping[str, str], body: kopf.Body, **_: Any) -> Any:
            return {(namespace, labels[names.ISVC_LABEL]): observing.slim_child(body)}

        async def on_child(
            type: str,
            namespace: str | None,
            labels: Mapping[str, str],
            body: kopf.Body,
            _index_id: str = index_id,
            _follows: bool = follows_status,
            **_: Any,
        ) -> None:
            owner = controlling.owner_key(str(namespace), labels)
            if _follows or type == "DELETED" or drifted(controller, index_id=_index_id, body=body):
                queue.add(owner)
            if type == "DELETED" and controlling.first(controller.indexes.get("isvc_index"), owner[1:]) is None:
                meta = body.get("metadata") or {}
                controller.state.applied.pop(
                    (str(namespace), API_VERSIONS[_index_id], str(body.get("kind")), str(meta.get("name"))), None
                )

        kopf.index(group=group, version=version, plural=plural, id=index_id, labels=OWNED, registry=registry)(
            child_index
        )
        kopf.on.event(
            group=group, version=version, plural=plural, id=f"follow_{index_id}", labels=OWNED, registry=registry
        )(cast(Any, on_child))

    @kopf.on.event(*ISVC, id="follow_isvc", registry=registry)
    async def on_isvc(type: str, namespace: str | None, name: str, **_: Any) -> None:
        key = (controlling.ISVC, str(namespace), name)
        if type == "DELETED":
            queue.forget(key)
            controller.state.written.pop((str(namespace), name), None)
        else:
            queue.add(key)
        queue.add_all(controller.trained_models_of(str(namespace), name))

    @kopf.on.event(*RUNTIME, id="follow_runtimes", registry=registry)
    @kopf.on.event(*CLUSTER_RUNTIME, id="follow_cluster_runtimes", registry=registry)
    async def on_runtime(**_: Any) -> None:
        for store in (controller.indexes.get("isvc_index") or {}).values():
            for isvc in store:
                if (isvc.get("status") or {}).get("modelStatus", {}).get("transitionStatus") == "InvalidSpec":
                    meta = isvc["metadata"]
                    queue.add((controlling.ISVC, meta["namespace"], meta["name"]))

    @kopf.on.event(*TRAINED_MODEL, id="follow_trained_models", registry=registry)
    async def on_trained_model(type: str, namespace: str | None, name: str, body: kopf.Body, **_: Any) -> None:
        key = (controlling.TM, str(namespace), name)
        if type == "DELETED":
            queue.forget(key)
            if controller.leading:
                controller.unloading[(str(namespace), name)] = observing.slim(body)
                queue.add((controlling.UNLOAD, str(namespace), name))
        else:
            queue.add(key)
