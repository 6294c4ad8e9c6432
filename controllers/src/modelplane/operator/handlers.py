"""The kopf handlers: each one a few lines that hand over to `reconciling`.

Indexes (kopf's in-memory caches fed by watches) hold the InferenceServices, their children (found by the
`serving.kserve.io/inferenceservice` label) and the serving runtimes, so reconciles read no list from the API.
A child's event (a Deployment turning Available, a Knative Service turning Ready) reconciles its owner, which is how
status follows the children. Handlers are registered on an explicit registry, never at import time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import kopf
from modelplane.operator import observing, reconciling
from modelplane.reconcile import names

ISVC = ("serving.kserve.io", "v1beta1", "inferenceservices")
TRAINED_MODEL = ("serving.kserve.io", "v1alpha1", "trainedmodels")
RUNTIME = ("serving.kserve.io", "v1alpha1", "servingruntimes")
CLUSTER_RUNTIME = ("serving.kserve.io", "v1alpha1", "clusterservingruntimes")
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
RETRIES = 8
BACKOFF = 2.0
OWNED = {names.ISVC_LABEL: kopf.PRESENT}


def _values(index: Any, key: Any) -> list[Mapping[str, Any]]:
    return list(index.get(key, [])) if index is not None else []


def _children(indexes: Mapping[str, Any], key: tuple[str, str]) -> Iterable[Mapping[str, Any]]:
    for index_id in CHILDREN:
        yield from _values(indexes.get(index_id), key)


def _reconcile_isvc(memo: Any, isvc: Mapping[str, Any], indexes: Mapping[str, Any]) -> None:
    namespace, name = isvc["metadata"]["namespace"], isvc["metadata"]["name"]
    reconciling.inference_service(
        memo.state,
        isvc=isvc,
        children=_children(indexes, (namespace, name)),
        runtimes=_values(indexes.get("runtime_index"), namespace),
        cluster_runtimes=_values(indexes.get("cluster_runtime_index"), ""),
        service_accounts=indexes.get("service_account_index"),
    )


def register(registry: kopf.OperatorRegistry, *, available: set[str]) -> None:
    """Register every handler; `available` holds the index ids of child kinds whose API the cluster serves."""

    @kopf.index(*ISVC, id="isvc_index", registry=registry)
    def isvc_index(namespace: str | None, name: str, body: kopf.Body, **_: Any) -> dict[Any, Any]:
        return {(namespace, name): observing.slim(body)}

    @kopf.index("", "v1", "serviceaccounts", id="service_account_index", registry=registry)
    def service_account_index(namespace: str | None, name: str, body: kopf.Body, **_: Any) -> dict[Any, Any]:
        return {(namespace, name): observing.slim(body)}

    @kopf.index(*RUNTIME, id="runtime_index", registry=registry)
    def runtime_index(namespace: str | None, body: kopf.Body, **_: Any) -> dict[Any, Any]:
        return {namespace: observing.slim(body)}

    @kopf.index(*CLUSTER_RUNTIME, id="cluster_runtime_index", registry=registry)
    def cluster_runtime_index(body: kopf.Body, **_: Any) -> dict[Any, Any]:
        return {"": observing.slim(body)}

    for index_id, (group, version, plural, follows_status) in CHILDREN.items():
        if index_id not in available:
            continue

        def child_index(namespace: str | None, labels: Mapping[str, str], body: kopf.Body, **_: Any) -> dict[Any, Any]:
            return {(namespace, labels[names.ISVC_LABEL]): observing.slim_child(body)}

        kopf.index(group=group, version=version, plural=plural, id=index_id, labels=OWNED, registry=registry)(
            child_index
        )
        if follows_status:

            def on_child_event(namespace: str | None, labels: Mapping[str, str], memo: Any, **kwargs: Any) -> None:
                owners = _values(kwargs.get("isvc_index"), (namespace, labels[names.ISVC_LABEL]))
                for isvc in owners:
                    _reconcile_isvc(memo, isvc, kwargs)

            kopf.on.event(
                group=group, version=version, plural=plural, id=f"follow_{index_id}", labels=OWNED, registry=registry
            )(on_child_event)

    @kopf.on.resume(*ISVC, id="reconcile", retries=RETRIES, backoff=BACKOFF, registry=registry)
    @kopf.on.create(*ISVC, id="reconcile", retries=RETRIES, backoff=BACKOFF, registry=registry)
    @kopf.on.update(*ISVC, id="reconcile", retries=RETRIES, backoff=BACKOFF, registry=registry)
    def reconcile_isvc(body: kopf.Body, memo: Any, **kwargs: Any) -> None:
        _reconcile_isvc(memo, observing.slim(body), kwargs)

    @kopf.on.event(*RUNTIME, id="follow_runtimes", registry=registry)
    @kopf.on.event(*CLUSTER_RUNTIME, id="follow_cluster_runtimes", registry=registry)
    def on_runtime_event(memo: Any, **kwargs: Any) -> None:
        for store in (kwargs.get("isvc_index") or {}).values():
            for isvc in store:
                if (isvc.get("status") or {}).get("modelStatus", {}).get("transitionStatus") == "InvalidSpec":
                    _reconcile_isvc(memo, isvc, kwargs)

    @kopf.on.resume(*TRAINED_MODEL, id="load", retries=40, backoff=BACKOFF, registry=registry)
    @kopf.on.create(*TRAINED_MODEL, id="load", retries=40, backoff=BACKOFF, registry=registry)
    @kopf.on.update(*TRAINED_MODEL, id="load", retries=40, backoff=BACKOFF, registry=registry)
    def load_trained_model(body: kopf.Body, namespace: str | None, memo: Any, **kwargs: Any) -> None:
        reconciling.trained_model(
            memo.state,
            tm=observing.slim(body),
            runtimes=_values(kwargs.get("runtime_index"), namespace),
            cluster_runtimes=_values(kwargs.get("cluster_runtime_index"), ""),
        )

    @kopf.on.delete(*TRAINED_MODEL, id="unload", optional=True, registry=registry)
    def unload_trained_model(body: kopf.Body, memo: Any, **_: Any) -> None:
        reconciling.unload_trained_model(memo.state, tm=observing.slim(body))
