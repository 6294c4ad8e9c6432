"""Serverless mode: one Knative Service per component and one Istio VirtualService for the top-level host.

The Knative Service carries KServe's autoscaling annotations (class, metric, target, min-scale, max-scale),
`containerConcurrency` and `timeoutSeconds`. With `canaryTrafficPercent` and a previously rolled-out revision known
from the InferenceService's status, traffic is split between the `latest` revision and the pinned `prev` one.
The VirtualService sends the top-level host to the transformer when there is one, else to the predictor, through
Knative's local gateway.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from modelplane.reconcile import names, routing
from modelplane.reconcile.config import Config
from modelplane.reconcile.observed import Manifest, Observed
from modelplane.reconcile.plan import Event
from modelplane.reconcile.podspecs import Pod
from modelplane.reconcile.status import Layout, Readiness

KNATIVE_API = "serving.knative.dev/v1"
ISTIO_API = "networking.istio.io/v1beta1"
LOCAL_GATEWAY = "knative-serving/knative-local-gateway"


def autoscaling_annotations(*, spec: Mapping[str, Any], annotations: Mapping[str, str]) -> dict[str, str]:
    """KServe's `autoscaling.knative.dev/*` annotations for a component."""
    klass = annotations.get("serving.kserve.io/autoscalerClass", "kpa")
    result = {
        "autoscaling.knative.dev/class": "hpa.autoscaling.knative.dev"
        if klass == "hpa"
        else "kpa.autoscaling.knative.dev",
        "autoscaling.knative.dev/metric": str(spec.get("scaleMetric") or ("cpu" if klass == "hpa" else "concurrency")),
        "autoscaling.knative.dev/min-scale": str(spec.get("minReplicas", 1)),
    }
    if spec.get("scaleTarget") is not None:
        result["autoscaling.knative.dev/target"] = str(spec["scaleTarget"])
    if spec.get("maxReplicas"):
        result["autoscaling.knative.dev/max-scale"] = str(spec["maxReplicas"])
    return result


def traffic(*, canary_percent: int | None, rolled_out: str | None) -> list[dict[str, Any]]:
    """The Knative traffic block: all to the latest revision, or a `latest`/`prev` split during a canary."""
    if canary_percent is None or canary_percent >= 100 or not rolled_out:
        return [{"latestRevision": True, "percent": 100}]
    return [
        {"tag": "latest", "latestRevision": True, "percent": canary_percent},
        {"tag": "prev", "revisionName": rolled_out, "latestRevision": False, "percent": 100 - canary_percent},
    ]


def knative_service(
    *, isvc: Manifest, component: str, spec: Mapping[str, Any], pod: Pod, rolled_out: str | None
) -> dict[str, Any]:
    """The Knative Service of one component."""
    isvc_annotations = isvc["metadata"].get("annotations") or {}
    name = names.component_name(isvc["metadata"]["name"], component)
    metadata = names.child_metadata(isvc=isvc, name=name, component=component)
    metadata["labels"]["networking.knative.dev/visibility"] = "cluster-local"
    template_labels = {
        **names.labels(isvc_name=isvc["metadata"]["name"], component=component),
        **(spec.get("labels") or {}),
    }
    template_annotations = {
        **autoscaling_annotations(spec=spec, annotations=isvc_annotations),
        **(spec.get("annotations") or {}),
    }
    revision_spec: dict[str, Any] = dict(pod.spec)
    if spec.get("containerConcurrency") is not None:
        revision_spec["containerConcurrency"] = int(spec["containerConcurrency"])
    if spec.get("timeout") is not None:
        revision_spec["timeoutSeconds"] = int(spec["timeout"])
    for container in revision_spec["containers"]:
        if container.get("ports"):
            container["ports"] = [{"name": "http1", "containerPort": pod.port, "protocol": "TCP"}]
    canary = spec.get("canaryTrafficPercent")
    return {
        "apiVersion": KNATIVE_API,
        "kind": "Service",
        "metadata": metadata,
        "spec": {
            "template": {
                "metadata": {"labels": template_labels, "annotations": template_annotations},
                "spec": revision_spec,
            },
            "traffic": traffic(canary_percent=None if canary is None else int(canary), rolled_out=rolled_out),
        },
    }


EXPLAIN_PATH = routing.EXPLAIN_REGEX


def virtual_service(
    *, isvc: Manifest, target_component: str, config: Config, explainer: bool = False
) -> dict[str, Any]:
    """The top-level VirtualService: the external and mesh hosts of `<isvc>`, routed to `target_component`, and
    V1 `:explain` calls to the explainer when there is one (as KServe routes them)."""
    name = isvc["metadata"]["name"]
    namespace = isvc["metadata"]["namespace"]
    external = names.external_host(name=name, namespace=namespace, config=config)
    local = names.local_host(name=name, namespace=namespace)
    hosts = [
        {"authority": {"regex": f"^{re.escape(external)}(?::\\d{{1,5}})?$"}, "gateways": [config.ingress.gateway]},
        {"authority": {"regex": f"^{re.escape(local)}(?::\\d{{1,5}})?$"}, "gateways": [LOCAL_GATEWAY]},
    ]

    def route(component: str) -> list[dict[str, Any]]:
        target = names.local_host(name=names.component_name(name, component), namespace=namespace)
        destination = {"host": config.ingress.local_gateway_host, "port": {"number": 80}}
        return [{"destination": destination, "weight": 100, "headers": {"request": {"set": {"Host": target}}}}]

    http: list[dict[str, Any]] = []
    if explainer:
        http.append({"match": [{**h, "uri": {"regex": EXPLAIN_PATH}} for h in hosts], "route": route("explainer")})
    http.append({"match": hosts, "route": route(target_component)})
    return {
        "apiVersion": ISTIO_API,
        "kind": "VirtualService",
        "metadata": names.child_metadata(isvc=isvc, name=name, component=None),
        "spec": {"hosts": [external, local], "gateways": [config.ingress.gateway, LOCAL_GATEWAY], "http": http},
    }


def knative_readiness(ksvc: Manifest | None) -> Readiness:
    """Whether a Knative Service is Ready for its current generation."""
    if ksvc is None:
        return Readiness(ok=False, reason="NotCreated", message="the Knative Service does not exist yet")
    status = ksvc.get("status") or {}
    if int(status.get("observedGeneration", 0)) < int(ksvc["metadata"].get("generation", 1)):
        return Readiness(ok=False, reason="Reconciling", message="Knative has not observed the latest generation yet")
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Ready":
            if condition.get("status") == "True":
                return Readiness(ok=True)
            reason = "Failed" if condition.get("status") == "False" else str(condition.get("reason") or "Unknown")
            return Readiness(
                ok=False, reason=reason, message=str(condition.get("message") or "the revision is not ready")
            )
    return Readiness(ok=False, reason="Unknown", message="the Knative Service reports no Ready condition yet")


def _component_status(
    *, ksvc: Manifest | None, old: Mapping[str, Any], canary: int | None, ready: bool
) -> dict[str, Any]:
    """`components.<c>` from the Knative Service's status, tracking the rolled-out revisions."""
    kstatus = (ksvc or {}).get("status") or {}
    result: dict[str, Any] = {}
    if kstatus.get("url"):
        result["url"] = kstatus["url"]
    for ours, theirs in (
        ("latestReadyRevision", "latestReadyRevisionName"),
        ("latestCreatedRevision", "latestCreatedRevisionName"),
    ):
        if kstatus.get(theirs):
            result[ours] = kstatus[theirs]
    rolled = old.get("latestRolledoutRevision")
    previous = old.get("previousRolledoutRevision")
    latest_ready = result.get("latestReadyRevision")
    canary_active = canary is not None and canary < 100 and bool(rolled)
    if ready and latest_ready and not canary_active and latest_ready != rolled:
        previous, rolled = rolled, latest_ready
    if canary_active:
        previous = rolled
    if rolled:
        result["latestRolledoutRevision"] = rolled
    if previous:
        result["previousRolledoutRevision"] = previous
    if kstatus.get("traffic"):
        result["traffic"] = kstatus["traffic"]
    return result


def lay_out(observed: Observed, *, pods: Mapping[str, Pod], config: Config) -> Layout:
    """Serverless children and status: a Knative Service per component and the top-level VirtualService."""
    isvc = observed.isvc
    name = isvc["metadata"]["name"]
    namespace = isvc["metadata"]["namespace"]
    old_components = (isvc.get("status") or {}).get("components") or {}
    layout = Layout(
        children=[],
        components={},
        readiness={},
        ingress=Readiness(ok=False),
        url=f"{config.ingress.url_scheme}://{names.external_host(name=name, namespace=namespace, config=config)}",
        address=f"http://{names.local_host(name=name, namespace=namespace)}",
        events=[],
    )
    for component, pod in pods.items():
        spec = isvc["spec"][component]
        old = old_components.get(component) or {}
        canary = None if spec.get("canaryTrafficPercent") is None else int(spec["canaryTrafficPercent"])
        ksvc = knative_service(
            isvc=isvc, component=component, spec=spec, pod=pod, rolled_out=old.get("latestRolledoutRevision")
        )
        layout.children.append(ksvc)
        split = ksvc["spec"]["traffic"]
        if len(split) == 2:
            layout.events.append(
                Event(
                    type="Normal",
                    reason="RolledBack" if canary == 0 else "CanarySplit",
                    message=f"{component}: {split[0]['percent']}% to the latest revision, "
                    f"{split[1]['percent']}% to {split[1]['revisionName']}",
                )
            )
        current = observed.child(api_version=KNATIVE_API, kind="Service", name=ksvc["metadata"]["name"])
        readiness = knative_readiness(current)
        layout.readiness[component] = readiness
        layout.components[component] = _component_status(ksvc=current, old=old, canary=canary, ready=readiness.ok)
    target = "transformer" if "transformer" in pods else "predictor"
    vs = virtual_service(isvc=isvc, target_component=target, config=config, explainer="explainer" in pods)
    layout.children.append(vs)
    if observed.child(api_version=ISTIO_API, kind="VirtualService", name=name) is None:
        layout.ingress = Readiness(
            ok=False, reason="IngressNotConfigured", message="the VirtualService does not exist yet"
        )
    else:
        layout.ingress = Readiness(ok=True)
    return layout
