"""The InferenceService reconcile: `reconcile(observed, config) -> Plan`, pure.

It selects the predictor's runtime, builds each component's pod, lays the pods out for the deployment mode
(Serverless: Knative Services + a VirtualService; Raw: Deployments, Services, HPAs + routing), lists children that
are no longer wanted for pruning, and derives KServe's status from the children it observed.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from modelplane.reconcile import conditions, errors, names, podspecs, raw, runtimes, serverless, status
from modelplane.reconcile import credentials as creds
from modelplane.reconcile.config import DEPLOYMENT_MODES, Config, normalise_mode
from modelplane.reconcile.observed import Observed, child_key
from modelplane.reconcile.plan import Event, Plan

MODE_ANNOTATION = "serving.kserve.io/deploymentMode"


def deployment_mode(isvc: Mapping[str, Any], *, config: Config) -> str:
    """`Serverless` or `RawDeployment`: the mode recorded in `status.deploymentMode` (KServe's field) once there is
    one, else the annotation, else the configured default. The reconcile records what it used, so an
    InferenceService without the annotation keeps its mode when the configured default changes."""
    recorded = normalise_mode(str((isvc.get("status") or {}).get("deploymentMode") or ""))
    if recorded in DEPLOYMENT_MODES:
        return recorded
    annotation = (isvc["metadata"].get("annotations") or {}).get(MODE_ANNOTATION)
    return normalise_mode(str(annotation)) if annotation else str(config.default_deployment_mode)


def mode_of_children(children: Iterable[Mapping[str, Any]]) -> str | None:
    """The mode an InferenceService's existing children show (a Knative Service: Serverless; a Deployment: Raw), for
    one reconciled before its mode was recorded; None when it has neither."""
    kinds = {(str(c.get("apiVersion")), str(c.get("kind"))) for c in children}
    if (serverless.KNATIVE_API, "Service") in kinds:
        return "Serverless"
    if ("apps/v1", "Deployment") in kinds:
        return "RawDeployment"
    return None


def present_components(spec: Mapping[str, Any]) -> tuple[str, ...]:
    """The components the InferenceService declares, predictor first."""
    return tuple(c for c in names.COMPONENTS if isinstance(spec.get(c), Mapping))


def _old_status(observed: Observed) -> dict[str, Any]:
    return dict(observed.isvc.get("status") or {})


def _failed_plan(observed: Observed, *, reason: str, message: str, mode: str) -> Plan:
    old = _old_status(observed)
    previous = old.get("conditions") or []
    now = observed.now
    status: dict[str, Any] = {
        "observedGeneration": observed.isvc["metadata"].get("generation", 1),
        "deploymentMode": mode,
        "conditions": conditions.ordered(
            [
                conditions.make(
                    type_="PredictorReady", ok=False, reason=reason, message=message, previous=previous, now=now
                ),
                conditions.make(type_="Ready", ok=False, reason=reason, message=message, previous=previous, now=now),
            ]
        ),
        "modelStatus": {
            "transitionStatus": "InvalidSpec",
            "states": {"activeModelState": "", "targetModelState": "FailedToLoad"},
            "lastFailureInfo": {"reason": reason, "message": message},
        },
    }
    return Plan(status=status, events=(Event(type="Warning", reason=reason, message=message),))


def _pod_for(observed: Observed, *, component: str, config: Config) -> tuple[podspecs.Pod, Event | None]:
    isvc = observed.isvc
    spec: Mapping[str, Any] = isvc["spec"][component]
    model = runtimes.model_spec(spec) if component == "predictor" else None
    selection = None
    event = None
    if model is not None:
        selection = runtimes.select(model=model, runtimes=observed.runtimes, cluster_runtimes=observed.cluster_runtimes)
        event = Event(
            type="Normal",
            reason="RuntimeSelected",
            message=f"{component} model format {model.format_name!r} is served by {selection.kind} {selection.name!r}",
        )
    elif not spec.get("containers"):
        raise errors.InvalidSpecError(
            f"spec.{component} has neither a model, a framework field nor containers; give it one implementation"
        )
    credentials = (
        creds.from_secrets(service_account=observed.service_account, secrets=observed.secrets)
        if model is not None and model.storage_uri
        else creds.Credentials()
    )
    pod = podspecs.build(
        podspecs.ComponentInput(
            isvc_name=isvc["metadata"]["name"],
            namespace=isvc["metadata"]["namespace"],
            component=component,
            spec=spec,
            model=model,
            selection=selection,
            credentials=credentials,
        ),
        config=config,
    )
    return pod, event


def reconcile(observed: Observed, config: Config) -> Plan:
    """Desired children, prunes, status and events for one InferenceService."""
    isvc = observed.isvc
    mode = deployment_mode(isvc, config=config)
    try:
        pods: dict[str, podspecs.Pod] = {}
        events: list[Event] = []
        for component in present_components(isvc["spec"]):
            pod, event = _pod_for(observed, component=component, config=config)
            pods[component] = pod
            if event is not None:
                events.append(event)
    except errors.NoRuntimeError as exc:
        return _failed_plan(observed, reason=exc.reason, message=str(exc), mode=mode)
    except errors.InvalidSpecError as exc:
        return _failed_plan(observed, reason="InvalidSpec", message=str(exc), mode=mode)
    layout = (raw if mode == "RawDeployment" else serverless).lay_out(observed, pods=pods, config=config)
    children = layout.children
    events.extend(layout.events)
    wanted = {child_key(c) for c in children}
    prune = tuple(sorted(child_key(c) for c in observed.children if child_key(c) not in wanted))
    events.extend(
        Event(type="Normal", reason="Pruned", message=f"deleted {kind} {name}, no longer wanted")
        for _, kind, name in prune
    )
    new_status = {**status.assemble(layout=layout, observed=observed), "deploymentMode": mode}
    ready = conditions.is_true(new_status["conditions"], "Ready")
    was_ready = conditions.is_true(_old_status(observed).get("conditions") or [], "Ready")
    if ready and not was_ready:
        message = f"InferenceService is ready at {new_status.get('url', '')}"
        events.append(Event(type="Normal", reason="Ready", message=message))
    elif was_ready and not ready:
        events.append(Event(type="Warning", reason="NotReady", message="waiting for: " + _waiting_for(new_status)))
    return Plan(children=tuple(copy.deepcopy(children)), prune=prune, status=new_status, events=tuple(events))


def _waiting_for(new_status: Mapping[str, Any]) -> str:
    pending = [
        f"{c['type']} ({c.get('message', c.get('reason', ''))})"
        for c in new_status["conditions"]
        if c["status"] != "True" and c["type"] != "Ready"
    ]
    return ", ".join(pending) or "nothing"
