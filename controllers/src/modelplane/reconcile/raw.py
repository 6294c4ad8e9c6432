"""Raw mode: a Deployment, a Service and (unless the autoscaler class says otherwise) an HPA per component.

The top-level route sends V1 explanation calls to the explainer when there is one (routing.py). A canary is a
second Deployment and Service, `<isvc>-predictor-canary`, holding the new pod template while the
stable Deployment keeps the one last rolled out (kept in its `serving.kserve.io/rolled-out-template` annotation).
Promotion (percent 100, or the field removed) moves the new template into the stable Deployment and drops the
canary; rollback (percent 0) keeps the stable template and drops the canary.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from modelplane.reconcile import names, routing
from modelplane.reconcile.config import Config
from modelplane.reconcile.observed import Manifest, Observed, child_key
from modelplane.reconcile.plan import Event
from modelplane.reconcile.podspecs import Pod
from modelplane.reconcile.status import Layout, Readiness

TEMPLATE_ANNOTATION = "serving.kserve.io/rolled-out-template"
AUTOSCALER_ANNOTATION = "serving.kserve.io/autoscalerClass"
DEFAULT_UTILISATION = 80


def app_label(deployment_name: str) -> str:
    """The `app` label value that ties a Deployment's pods to its Service (KServe's `isvc.<name>`)."""
    return f"isvc.{deployment_name}"


def pod_template(*, isvc: Manifest, component: str, spec: Mapping[str, Any], pod: Pod) -> dict[str, Any]:
    """The pod template of a component (before it is bound to a particular Deployment name)."""
    template_labels = {
        **names.labels(isvc_name=isvc["metadata"]["name"], component=component),
        **(spec.get("labels") or {}),
    }
    template: dict[str, Any] = {"metadata": {"labels": template_labels}, "spec": pod.spec}
    if spec.get("annotations"):
        template["metadata"]["annotations"] = dict(spec["annotations"])
    return template


def rolled_out_template(deployment: Manifest | None) -> dict[str, Any] | None:
    """The template the stable Deployment was last given, or None when there is none yet."""
    if deployment is None:
        return None
    raw = (deployment["metadata"].get("annotations") or {}).get(TEMPLATE_ANNOTATION)
    if not raw:
        return None
    value = json.loads(raw)
    return value if isinstance(value, dict) else None


def deployment(
    *, isvc: Manifest, component: str, name: str, template: Mapping[str, Any], replicas: int | None
) -> dict[str, Any]:
    """A component's Deployment named `name`, its pods labelled so only its own Service selects them."""
    metadata = names.child_metadata(isvc=isvc, name=name, component=component)
    metadata["labels"]["app"] = app_label(name)
    metadata["annotations"] = {TEMPLATE_ANNOTATION: json.dumps(template, sort_keys=True, separators=(",", ":"))}
    pod_metadata = dict(template["metadata"])
    pod_metadata["labels"] = {**pod_metadata["labels"], "app": app_label(name)}
    spec: dict[str, Any] = {
        "selector": {"matchLabels": {"app": app_label(name)}},
        "template": {"metadata": pod_metadata, "spec": template["spec"]},
    }
    if replicas is not None:
        spec["replicas"] = replicas
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata, "spec": spec}


def service(*, isvc: Manifest, component: str, name: str, port: int) -> dict[str, Any]:
    """The ClusterIP Service in front of a Deployment, port 80 to the serving port."""
    metadata = names.child_metadata(isvc=isvc, name=name, component=component)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata,
        "spec": {
            "selector": {"app": app_label(name)},
            "ports": [{"name": "http", "port": 80, "targetPort": port, "protocol": "TCP"}],
        },
    }


def autoscaler_class(isvc: Manifest) -> str:
    """`hpa` (default), `none` (fixed replicas) or `external` (someone else scales the Deployment)."""
    return str((isvc["metadata"].get("annotations") or {}).get(AUTOSCALER_ANNOTATION, "hpa"))


def replica_bounds(spec: Mapping[str, Any]) -> tuple[int, int]:
    """(min, max) replicas for the HPA: at least one, and max never below min (max 0 means "as many as min")."""
    low = max(int(spec.get("minReplicas", 1)), 1)
    high = int(spec.get("maxReplicas") or 0)
    return low, max(high, low)


def hpa(*, isvc: Manifest, component: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    """An autoscaling/v2 HPA on CPU (default) or memory utilisation."""
    name = names.component_name(isvc["metadata"]["name"], component)
    low, high = replica_bounds(spec)
    metric = str(spec.get("scaleMetric") or "cpu")
    target = int(spec.get("scaleTarget") or DEFAULT_UTILISATION)
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": names.child_metadata(isvc=isvc, name=name, component=component),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": low,
            "maxReplicas": high,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": metric, "target": {"type": "Utilization", "averageUtilization": target}},
                }
            ],
        },
    }


def deployment_readiness(deployment_obj: Manifest | None) -> Readiness:
    """Whether a Deployment is Available with every replica updated for its current generation, and why not."""
    if deployment_obj is None:
        return Readiness(ok=False, reason="NotCreated", message="the Deployment does not exist yet")
    name = deployment_obj["metadata"]["name"]
    status = deployment_obj.get("status") or {}
    current = int(status.get("observedGeneration", 0)) >= int(deployment_obj["metadata"].get("generation", 1))
    available = any(c.get("type") == "Available" and c.get("status") == "True" for c in status.get("conditions") or [])
    if current and available and int(status.get("availableReplicas", 0)) >= 1:
        return Readiness(ok=True)
    # One message for every stage of a rollout, so its progress does not cost a status write per stage.
    message = f"Deployment {name} has no available replica yet"
    return Readiness(ok=False, reason="MinimumReplicasUnavailable", message=message)


def lay_out(observed: Observed, *, pods: Mapping[str, Pod], config: Config) -> Layout:
    """Raw children and status: Deployment, Service and HPA per component (plus a canary pair) and the route."""
    isvc = observed.isvc
    name = isvc["metadata"]["name"]
    namespace = isvc["metadata"]["namespace"]
    klass = autoscaler_class(isvc)
    top = "transformer" if "transformer" in pods else "predictor"
    layout = Layout(
        children=[],
        components={},
        readiness={},
        ingress=Readiness(ok=False),
        url=f"{config.ingress.url_scheme}://{names.external_host(name=name, namespace=namespace, config=config)}",
        address=f"http://{names.local_host(name=names.component_name(name, top), namespace=namespace)}",
        events=[],
    )
    backends: dict[str, tuple[routing.Backend, ...]] = {}
    for component, pod in pods.items():
        spec = isvc["spec"][component]
        stable_name = names.component_name(name, component)
        canary_name = f"{stable_name}-canary"
        template = pod_template(isvc=isvc, component=component, spec=spec, pod=pod)
        stable_seen = observed.child(api_version="apps/v1", kind="Deployment", name=stable_name)
        previous = rolled_out_template(stable_seen)
        percent = None if spec.get("canaryTrafficPercent") is None else int(spec["canaryTrafficPercent"])
        changed = previous is not None and previous != template
        canary_on = percent is not None and percent < 100 and changed
        replicas = int(spec.get("minReplicas", 1)) if klass == "none" else None
        stable_template = previous if canary_on and previous is not None else template
        layout.children.append(
            deployment(isvc=isvc, component=component, name=stable_name, template=stable_template, replicas=replicas)
        )
        layout.children.append(service(isvc=isvc, component=component, name=stable_name, port=pod.port))
        if klass == "hpa":
            layout.children.append(hpa(isvc=isvc, component=component, spec=spec))
        readiness = deployment_readiness(stable_seen)
        status: dict[str, Any] = {"url": f"http://{names.local_host(name=stable_name, namespace=namespace)}"}
        backends[component] = (routing.Backend(service=stable_name, weight=100),)
        if canary_on and percent:
            layout.children.append(
                deployment(
                    isvc=isvc, component=component, name=canary_name, template=template, replicas=max(replicas or 1, 1)
                )
            )
            layout.children.append(service(isvc=isvc, component=component, name=canary_name, port=pod.port))
            backends[component] = (
                routing.Backend(service=stable_name, weight=100 - percent),
                routing.Backend(service=canary_name, weight=percent),
            )
            status["traffic"] = [
                {"tag": "latest", "revisionName": canary_name, "latestRevision": True, "percent": percent},
                {"tag": "prev", "revisionName": stable_name, "latestRevision": False, "percent": 100 - percent},
            ]
            layout.events.append(
                Event(
                    type="Normal",
                    reason="CanarySplit",
                    message=f"{component}: {percent}% to {canary_name}, {100 - percent}% to {stable_name}",
                )
            )
            canary_seen = observed.child(api_version="apps/v1", kind="Deployment", name=canary_name)
            if readiness.ok:
                readiness = deployment_readiness(canary_seen)
        elif canary_on:
            layout.events.append(
                Event(type="Normal", reason="RolledBack", message=f"{component}: all traffic stays on {stable_name}")
            )
        elif changed and observed.child(api_version="apps/v1", kind="Deployment", name=canary_name) is not None:
            layout.events.append(
                Event(
                    type="Normal",
                    reason="Promoted",
                    message=f"{component}: the canary template is rolled out to {stable_name}",
                )
            )
        layout.readiness[component] = readiness
        layout.components[component] = status
    routes = routing.routes(isvc=isvc, backends=backends[top], config=config, explainer=backends.get("explainer", ()))
    layout.children.extend(routes)
    missing = [r for r in routes if child_key(r) not in {child_key(c) for c in observed.children}]
    if missing:
        kinds = ", ".join(f"{r['kind']} {r['metadata']['name']}" for r in missing)
        layout.ingress = Readiness(ok=False, reason="IngressNotConfigured", message=f"{kinds} does not exist yet")
    else:
        layout.ingress = Readiness(ok=True)
    return layout
