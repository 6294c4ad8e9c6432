"""Fills in what KServe fills in for an InferenceService, so every later step sees explicit values.

The deployment mode annotation (the mode recorded in the status, else the controller's configured default),
`minReplicas` 1, protocol v1 (v2 for Triton), logger mode `all`, batcher bounds from the config, the first custom
container named `kserve-container`, and 1 CPU / 2Gi requests and limits for the model server container where it sets
neither (a request or limit the user set fills the other side). Values the user set are never changed; the input is
never modified.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from modelplane.api import inferenceservice, modes, settings

DEFAULT_MIN_REPLICAS = 1
DEFAULT_PROTOCOL = "v1"
DEFAULT_LOGGER_MODE = "all"
MAIN_CONTAINER = "kserve-container"
DEFAULT_RESOURCES = {"cpu": "1", "memory": "2Gi"}


def default_inference_service(obj: Mapping[str, Any], *, config: settings.Settings) -> dict[str, Any]:
    """A defaulted copy of the InferenceService `obj`."""
    out = copy.deepcopy(dict(obj))
    metadata = out.setdefault("metadata", {})
    notes = metadata.setdefault("annotations", {})
    if modes.DEPLOYMENT_MODE not in notes:
        notes[modes.DEPLOYMENT_MODE] = modes.recorded_mode(obj) or modes.normalise_mode(config.default_deployment_mode)
    spec = out.get("spec")
    if not isinstance(spec, dict):
        return out
    for name in inferenceservice.COMPONENTS:
        component = spec.get(name)
        if isinstance(component, dict):
            _default_component(component, config=config)
    predictor = spec.get("predictor")
    if isinstance(predictor, dict):
        _default_predictor(predictor)
    return out


def _default_component(component: dict[str, Any], *, config: settings.Settings) -> None:
    component.setdefault("minReplicas", DEFAULT_MIN_REPLICAS)
    logger = component.get("logger")
    if isinstance(logger, dict):
        logger.setdefault("mode", DEFAULT_LOGGER_MODE)
    batcher = component.get("batcher")
    if isinstance(batcher, dict):
        batcher.setdefault("maxBatchSize", config.batcher_default_max_batch_size)
        batcher.setdefault("maxLatency", config.batcher_default_max_latency_ms)
    containers = component.get("containers")
    if isinstance(containers, list) and containers and isinstance(containers[0], dict):
        containers[0].setdefault("name", MAIN_CONTAINER)
        _default_resources(containers[0])


def _default_predictor(predictor: dict[str, Any]) -> None:
    for name in (*inferenceservice.FRAMEWORKS, "model"):
        implementation = predictor.get(name)
        if isinstance(implementation, dict):
            implementation.setdefault("protocolVersion", "v2" if name == "triton" else DEFAULT_PROTOCOL)
            _default_resources(implementation)


def _default_resources(container: dict[str, Any]) -> None:
    resources = container.setdefault("resources", {})
    if not isinstance(resources, dict):
        return
    requests = resources.setdefault("requests", {})
    limits = resources.setdefault("limits", {})
    if not isinstance(requests, dict) or not isinstance(limits, dict):
        return
    for resource, quantity in DEFAULT_RESOURCES.items():
        # A side the user set wins for the other side too, so a request never ends up above its limit.
        requests.setdefault(resource, limits.get(resource, quantity))
        limits.setdefault(resource, requests[resource])
