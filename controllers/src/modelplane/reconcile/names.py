"""Names, hosts, labels and owner references of an InferenceService's children, following KServe's conventions.

Dashboards and scripts rely on these: `<isvc>-<component>` for each component's Knative Service or
Deployment/Service/HPA, `<isvc>` for the top-level route, `<isvc>-<ns>.<domain>` for the external host.
"""

from __future__ import annotations

from typing import Any

from modelplane.reconcile.config import Config
from modelplane.reconcile.observed import Manifest

ISVC_LABEL = "serving.kserve.io/inferenceservice"
COMPONENT_LABEL = "component"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGER = "modelplane"
COMPONENTS = ("predictor", "transformer", "explainer")


def component_name(isvc_name: str, component: str) -> str:
    """`<isvc>-<component>`: a component's Knative Service, or its Deployment, Service and HPA."""
    return f"{isvc_name}-{component}"


def external_host(*, name: str, namespace: str, config: Config) -> str:
    """The host users call from outside the cluster."""
    return f"{name}-{namespace}.{config.ingress.domain}"


def local_host(*, name: str, namespace: str) -> str:
    """The cluster-local host of a Service (or of the top-level route)."""
    return f"{name}.{namespace}.svc.cluster.local"


def labels(*, isvc_name: str, component: str | None) -> dict[str, str]:
    """Labels every child carries, so the operator can find them and users can select them."""
    result = {ISVC_LABEL: isvc_name, MANAGED_BY_LABEL: MANAGER}
    if component is not None:
        result[COMPONENT_LABEL] = component
    return result


def owner_reference(isvc: Manifest) -> dict[str, Any]:
    """The owner reference that makes Kubernetes garbage-collect a child when its InferenceService is deleted."""
    return {
        "apiVersion": str(isvc.get("apiVersion", "serving.kserve.io/v1beta1")),
        "kind": "InferenceService",
        "name": isvc["metadata"]["name"],
        "uid": isvc["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def child_metadata(*, isvc: Manifest, name: str, component: str | None) -> dict[str, Any]:
    """The metadata of a child: name, namespace, labels and the controlling owner reference."""
    return {
        "name": name,
        "namespace": isvc["metadata"]["namespace"],
        "labels": labels(isvc_name=isvc["metadata"]["name"], component=component),
        "ownerReferences": [owner_reference(isvc)],
    }
