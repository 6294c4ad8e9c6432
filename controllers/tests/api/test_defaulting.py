"""Tests for modelplane.api.defaulting: what KServe fills in, and that user values and the input stay untouched.

Covers: deployment mode annotation from the recorded `status.deploymentMode`, else config (and kept when set),
minReplicas 1 per component (0 kept), protocol v1 for frameworks and `model`, v2 for Triton, logger mode `all`,
batcher bounds from config, the first custom container's name, default CPU/memory requests and limits (and one side
filling the other), the input not being modified, and the defaulted object still passing validation.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from modelplane.api import defaulting, settings, validation

MODE = "serving.kserve.io/deploymentMode"


def isvc(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "m"},
        "spec": spec,
    }


SKLEARN = {"sklearn": {"storageUri": "gs://b/m"}}


@pytest.mark.parametrize(
    ("default_mode", "annotations", "expected"),
    [
        pytest.param("Serverless", None, "Serverless", id="config-serverless"),
        pytest.param("RawDeployment", None, "RawDeployment", id="config-raw"),
        pytest.param("Standard", None, "RawDeployment", id="config-standard-normalised"),
        pytest.param("Serverless", {MODE: "RawDeployment"}, "RawDeployment", id="annotation-kept"),
        pytest.param("RawDeployment", {MODE: "Knative"}, "Knative", id="annotation-spelling-kept"),
        pytest.param("RawDeployment", "Serverless", "Serverless", id="recorded-mode-over-config"),
        pytest.param("Serverless", "Standard", "RawDeployment", id="recorded-mode-normalised"),
    ],
)
def test_deployment_mode_annotation(default_mode: str, annotations: dict[str, str] | str | None, expected: str) -> None:
    obj = isvc(predictor=SKLEARN)
    if isinstance(annotations, str):
        obj["status"] = {"deploymentMode": annotations}  # recorded by an earlier reconcile
    elif annotations:
        obj["metadata"]["annotations"] = annotations
    out = defaulting.default_inference_service(obj, config=settings.Defaults(default_deployment_mode=default_mode))
    assert out["metadata"]["annotations"][MODE] == expected


@pytest.mark.parametrize(
    ("predictor", "path", "expected"),
    [
        pytest.param(SKLEARN, ("minReplicas",), 1, id="min-replicas-1"),
        pytest.param({**SKLEARN, "minReplicas": 0}, ("minReplicas",), 0, id="min-replicas-0-kept"),
        pytest.param(SKLEARN, ("sklearn", "protocolVersion"), "v1", id="protocol-v1"),
        pytest.param(
            {"sklearn": {"storageUri": "gs://b/m", "protocolVersion": "v2"}},
            ("sklearn", "protocolVersion"),
            "v2",
            id="protocol-kept",
        ),
        pytest.param({"triton": {"storageUri": "gs://b/m"}}, ("triton", "protocolVersion"), "v2", id="triton-v2"),
        pytest.param(
            {"model": {"modelFormat": {"name": "onnx"}, "storageUri": "gs://b/m"}},
            ("model", "protocolVersion"),
            "v1",
            id="model-protocol-v1",
        ),
        pytest.param({**SKLEARN, "logger": {"url": "http://sink"}}, ("logger", "mode"), "all", id="logger-mode-all"),
        pytest.param(
            {**SKLEARN, "logger": {"mode": "response"}}, ("logger", "mode"), "response", id="logger-mode-kept"
        ),
        pytest.param(
            {**SKLEARN, "batcher": {}}, ("batcher",), {"maxBatchSize": 16, "maxLatency": 7}, id="batcher-from-config"
        ),
        pytest.param(
            {**SKLEARN, "batcher": {"maxBatchSize": 4}},
            ("batcher",),
            {"maxBatchSize": 4, "maxLatency": 7},
            id="batcher-size-kept",
        ),
        pytest.param(
            {"containers": [{"image": "x"}]}, ("containers", 0, "name"), "kserve-container", id="container-name"
        ),
        pytest.param(
            {"containers": [{"name": "mine", "image": "x"}]},
            ("containers", 0, "name"),
            "mine",
            id="container-name-kept",
        ),
        pytest.param(
            SKLEARN,
            ("sklearn", "resources"),
            {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}},
            id="resources-default",
        ),
        pytest.param(
            {"sklearn": {"storageUri": "gs://b/m", "resources": {"requests": {"cpu": "4"}}}},
            ("sklearn", "resources"),
            {"requests": {"cpu": "4", "memory": "2Gi"}, "limits": {"cpu": "4", "memory": "2Gi"}},
            id="request-fills-limit",
        ),
        pytest.param(
            {"sklearn": {"storageUri": "gs://b/m", "resources": {"limits": {"memory": "8Gi", "nvidia.com/gpu": 1}}}},
            ("sklearn", "resources"),
            {"requests": {"cpu": "1", "memory": "8Gi"}, "limits": {"cpu": "1", "memory": "8Gi", "nvidia.com/gpu": 1}},
            id="limit-fills-request-gpu-kept",
        ),
    ],
)
def test_predictor_defaults(predictor: dict[str, Any], path: tuple[Any, ...], expected: Any) -> None:
    config = settings.Defaults(batcher_default_max_batch_size=16, batcher_default_max_latency_ms=7)
    out = defaulting.default_inference_service(isvc(predictor=predictor), config=config)
    value: Any = out["spec"]["predictor"]
    for key in path:
        value = value[key]
    assert value == expected


def test_every_component_gets_min_replicas() -> None:
    obj = isvc(
        predictor=SKLEARN, transformer={"containers": [{"image": "t"}]}, explainer={"containers": [{"image": "e"}]}
    )
    out = defaulting.default_inference_service(obj, config=settings.Defaults())
    assert [out["spec"][name]["minReplicas"] for name in ("predictor", "transformer", "explainer")] == [1, 1, 1]
    assert out["spec"]["transformer"]["containers"][0]["name"] == "kserve-container"


def test_input_is_not_modified_and_output_validates() -> None:
    obj = isvc(predictor={**SKLEARN, "logger": {}}, transformer={"containers": [{"image": "t"}]})
    before = copy.deepcopy(obj)
    out = defaulting.default_inference_service(obj, config=settings.Defaults())
    assert obj == before
    assert out != before
    assert validation.validate_inference_service(out, old=None, config=settings.Defaults()) == []


def test_defaulting_twice_changes_nothing() -> None:
    once = defaulting.default_inference_service(isvc(predictor=SKLEARN), config=settings.Defaults())
    assert defaulting.default_inference_service(once, config=settings.Defaults()) == once


def test_object_without_spec_only_gets_the_annotation() -> None:
    out = defaulting.default_inference_service({"metadata": {"name": "m"}}, config=settings.Defaults())
    assert out == {"metadata": {"name": "m", "annotations": {MODE: "Serverless"}}}
