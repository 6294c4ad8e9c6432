"""The `observe` step: build the frozen snapshot a pure reconcile needs from the operator's caches and the API.

Children and serving runtimes come from kopf indexes (in-memory caches fed by watches), so a steady-state
reconcile costs no API call; the predictor's ServiceAccount and its Secrets are read on demand, and only when a
storage URI needs credentials.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from modelplane.api import defaulting
from modelplane.operator import clients
from modelplane.reconcile.config import Config
from modelplane.reconcile.observed import Observed, ObservedTrainedModel

DROPPED_METADATA = ("managedFields",)
#: Annotations a child keeps in the cache: the ones the reconcilers read. Everything else is dropped to save memory.
CHILD_ANNOTATIONS = ("serving.kserve.io/applied-hash", "serving.kserve.io/rolled-out-template")
KOPF_PREFIX = "kopf.zalando.org/"


def now() -> str:
    """The current time as Kubernetes writes it (RFC 3339, seconds, UTC)."""
    return datetime.datetime.now(tz=datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def slim(body: Mapping[str, Any]) -> dict[str, Any]:
    """A plain-dict copy of an object without the bulky fields no reconcile reads (what the caches keep)."""
    result = {k: v for k, v in dict(body).items()}
    metadata = {k: v for k, v in dict(result.get("metadata") or {}).items() if k not in DROPPED_METADATA}
    annotations = metadata.get("annotations")
    if annotations:
        metadata["annotations"] = {k: v for k, v in annotations.items() if not k.startswith(KOPF_PREFIX)}
    result["metadata"] = metadata
    return result


def slim_child(body: Mapping[str, Any]) -> dict[str, Any]:
    """What the reconcilers read of a child: identity, generation, their own annotations and status (no spec)."""
    metadata = body.get("metadata") or {}
    kept = {k: metadata[k] for k in ("name", "namespace", "generation", "labels", "uid") if k in metadata}
    annotations = {k: v for k, v in (metadata.get("annotations") or {}).items() if k in CHILD_ANNOTATIONS}
    if annotations:
        kept["annotations"] = annotations
    result: dict[str, Any] = {"apiVersion": body.get("apiVersion"), "kind": body.get("kind"), "metadata": kept}
    if body.get("status") is not None:
        result["status"] = dict(body["status"])
    return result


def service_account_for(isvc: Mapping[str, Any]) -> str | None:
    """The ServiceAccount whose Secrets the storage initializer needs, or None when no download happens."""
    predictor = (isvc.get("spec") or {}).get("predictor") or {}
    for value in predictor.values():
        if isinstance(value, Mapping) and str(value.get("storageUri") or "").split("://")[0] in (
            "s3",
            "gs",
            "https",
            "http",
            "hdfs",
            "webhdfs",
        ):
            return str(predictor.get("serviceAccountName") or "default")
    return None


def observe_inference_service(
    cluster: clients.Cluster,
    *,
    isvc: Mapping[str, Any],
    children: Iterable[Mapping[str, Any]],
    runtimes: Iterable[Mapping[str, Any]],
    cluster_runtimes: Iterable[Mapping[str, Any]],
    config: Config,
    service_accounts: Any = None,
) -> Observed:
    """The Observed for one InferenceService (its spec defaulted as the API defaults it); the ServiceAccount comes
    from the `service_accounts` index when one is given, else from the API."""
    namespace = isvc["metadata"]["namespace"]
    defaulted = defaulting.default_inference_service(slim(isvc), config=config)
    service_account = None
    secrets: list[dict[str, Any]] = []
    account = service_account_for(defaulted)
    if account is not None and service_accounts is not None:
        service_account = next(iter(service_accounts.get((namespace, account), [])), None)
    elif account is not None:
        service_account = cluster.get(
            clients.path(api_version="v1", kind="ServiceAccount", namespace=namespace, name=account)
        )
    if service_account is not None:
        for ref in (service_account or {}).get("secrets") or []:
            secret = cluster.get(
                clients.path(api_version="v1", kind="Secret", namespace=namespace, name=ref.get("name", ""))
            )
            if secret is not None:
                secrets.append(secret)
    return Observed(
        isvc=defaulted,
        now=now(),
        runtimes=tuple(sorted((slim(r) for r in runtimes), key=lambda r: r["metadata"]["name"])),
        cluster_runtimes=tuple(sorted((slim(r) for r in cluster_runtimes), key=lambda r: r["metadata"]["name"])),
        children=tuple(slim_child(c) for c in children),
        service_account=service_account,
        secrets=tuple(secrets),
    )


def observe_trained_model(
    cluster: clients.Cluster,
    *,
    trained_model: Mapping[str, Any],
    runtimes: Iterable[Mapping[str, Any]],
    cluster_runtimes: Iterable[Mapping[str, Any]],
) -> ObservedTrainedModel:
    """The Observed for one TrainedModel: its parent and its siblings on the same parent, read from the API."""
    namespace = trained_model["metadata"]["namespace"]
    parent_name = str((trained_model.get("spec") or {}).get("inferenceService", ""))
    parent = (
        cluster.get(
            clients.path(
                api_version="serving.kserve.io/v1beta1", kind="InferenceService", namespace=namespace, name=parent_name
            )
        )
        if parent_name
        else None
    )
    siblings = [
        tm
        for tm in cluster.list(
            clients.path(api_version="serving.kserve.io/v1alpha1", kind="TrainedModel", namespace=namespace)
        )
        if (tm.get("spec") or {}).get("inferenceService") == parent_name
        and tm["metadata"]["name"] != trained_model["metadata"]["name"]
        and not tm["metadata"].get("deletionTimestamp")
    ]
    return ObservedTrainedModel(
        trained_model=slim(trained_model),
        now=now(),
        parent=parent,
        siblings=tuple(siblings),
        runtimes=tuple(slim(r) for r in runtimes),
        cluster_runtimes=tuple(slim(r) for r in cluster_runtimes),
    )
