"""The `observe` step: build the frozen snapshot a pure reconcile needs from the operator's caches and the API.

Children and serving runtimes come from kopf indexes (in-memory caches fed by watches), so a steady-state
reconcile costs no API call; the predictor's ServiceAccount and its Secrets are read on demand, and only when a
storage URI needs credentials. A TrainedModel's observation asks each ready predictor replica whether it holds the
model (`GET /v2/models/<m>/ready`), since only the replica knows.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from modelplane.api import defaulting, modes
from modelplane.operator import clients, loading
from modelplane.reconcile import endpoints as endpoints_mod
from modelplane.reconcile import inferenceservice
from modelplane.reconcile.config import Config
from modelplane.reconcile.observed import Observed, ObservedTrainedModel, Replica

DROPPED_METADATA = ("managedFields",)
#: Annotations a child keeps in the cache: the ones the reconcilers read. Everything else is dropped to save memory.
CHILD_ANNOTATIONS = ("serving.kserve.io/applied-hash", "serving.kserve.io/rolled-out-template")
KOPF_PREFIX = "kopf.zalando.org/"
#: Where a cached child keeps its content digest (see `content_digest`).
DIGEST = "contentDigest"


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


def content_digest(body: Mapping[str, Any]) -> str:
    """A short hash of what others could change in a child behind our back: its spec, labels and owners.

    Status is left out (it changes all the time and is not ours), so a digest that moved means someone edited the
    child; comparing it with the digest of what our last apply returned is how drift is noticed."""
    metadata = body.get("metadata") or {}
    content = {
        "spec": body.get("spec"),
        "labels": metadata.get("labels"),
        "ownerReferences": metadata.get("ownerReferences"),
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:20]


def slim_child(body: Mapping[str, Any]) -> dict[str, Any]:
    """What the reconcilers read of a child: identity, generation, resourceVersion, their own annotations, status and
    the content digest (`DIGEST` key) instead of the spec."""
    metadata = body.get("metadata") or {}
    kept = {
        k: metadata[k] for k in ("name", "namespace", "generation", "resourceVersion", "labels", "uid") if k in metadata
    }
    annotations = {k: v for k, v in (metadata.get("annotations") or {}).items() if k in CHILD_ANNOTATIONS}
    if annotations:
        kept["annotations"] = annotations
    result: dict[str, Any] = {"apiVersion": body.get("apiVersion"), "kind": body.get("kind"), "metadata": kept}
    if body.get("status") is not None:
        result["status"] = dict(body["status"])
    # Slimming a slim copy again (the observe step slims what the caches hold) keeps the digest it already has.
    result[DIGEST] = body[DIGEST] if DIGEST in body else content_digest(body)
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
    children = tuple(slim_child(c) for c in children)
    isvc = slim(isvc)
    status = isvc.get("status") or {}
    if not status.get("deploymentMode") and modes.DEPLOYMENT_MODE not in (isvc["metadata"].get("annotations") or {}):
        # Reconciled before the mode was recorded: keep the mode its children show, not today's default.
        shown = inferenceservice.mode_of_children(children)
        if shown is not None:
            isvc["status"] = {**status, "deploymentMode": shown}
    defaulted = defaulting.default_inference_service(isvc, config=config)
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
        children=children,
        service_account=service_account,
        secrets=tuple(secrets),
    )


def observe_trained_model(
    *,
    trained_model: Mapping[str, Any],
    parent: Mapping[str, Any] | None,
    siblings: Iterable[Mapping[str, Any]],
    endpoints: Iterable[Mapping[str, Any]],
    runtimes: Iterable[Mapping[str, Any]],
    cluster_runtimes: Iterable[Mapping[str, Any]],
    replicas_error: str = "",
) -> ObservedTrainedModel:
    """The Observed for one TrainedModel from the caches (its parent, the TrainedModels of the same parent, the
    parent's predictor EndpointSlices), plus whether each ready replica already holds the model (asked over HTTP)."""
    name = trained_model["metadata"]["name"]
    namespace = trained_model["metadata"]["namespace"]
    parent_name = (trained_model.get("spec") or {}).get("inferenceService")
    others = tuple(
        slim(tm)
        for tm in siblings
        if (tm.get("spec") or {}).get("inferenceService") == parent_name
        and tm["metadata"]["name"] != name
        and not tm["metadata"].get("deletionTimestamp")
    )
    addresses = endpoints_mod.ready_addresses(endpoints, namespace=namespace) if parent is not None else ()
    return ObservedTrainedModel(
        trained_model=slim(trained_model),
        now=now(),
        parent=slim(parent) if parent is not None else None,
        siblings=others,
        runtimes=tuple(slim(r) for r in runtimes),
        cluster_runtimes=tuple(slim(r) for r in cluster_runtimes),
        replicas=tuple(Replica(address=a, loaded=loading.is_loaded(a, model_name=name)) for a in addresses),
        replicas_error=replicas_error,
    )
