"""Tests for modelplane.api.validation: every admission rule of InferenceService, ServingRuntime and TrainedModel.

Covers: name pattern and length, exactly one predictor implementation, transformer/explainer implementations,
replica bounds, containerConcurrency, canaryTrafficPercent, logger mode, protocol version, scale metric per
autoscaler class (KPA, Knative HPA, HPA, KEDA), HPA CPU utilisation range, annotation values, storage URI schemes,
immutable deployment mode, shape errors (wrong types) with their field paths, serving runtime rules (containers,
image, duplicate formats and protocols, priority) and TrainedModel rules (parent name, storage URI, framework,
memory quantity, immutable memory and parent). Each case names the field and a piece of the fix. A property test
feeds arbitrary JSON to all three functions: they always answer with violations, never an exception. The YAML
examples in docs/api.md pass their kind's validation.
"""

from __future__ import annotations

import copy
import pathlib
import re
from typing import Any

import hypothesis
import pytest
import yaml
from hypothesis import strategies as st
from modelplane.api import settings, validation

RAW = {"serving.kserve.io/deploymentMode": "RawDeployment"}


def isvc(
    predictor: dict[str, Any] | None = None,
    *,
    name: str = "my-model",
    annotations: dict[str, str] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": "default"}
    if annotations is not None:
        metadata["annotations"] = annotations
    body = {"predictor": predictor if predictor is not None else {"sklearn": {"storageUri": "gs://bucket/iris"}}}
    body.update(spec)
    return {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService", "metadata": metadata, "spec": body}


def sklearn(**fields: Any) -> dict[str, Any]:
    return {"sklearn": {"storageUri": "gs://bucket/iris"}, **fields}


def fields_of(found: list[validation.Violation]) -> list[str]:
    return [violation.field for violation in found]


VALID_ISVCS = [
    pytest.param(isvc(), id="legacy-sklearn"),
    pytest.param(
        isvc(
            {
                "model": {
                    "modelFormat": {"name": "sklearn", "version": "1"},
                    "storageUri": "s3://b/m",
                    "protocolVersion": "v2",
                }
            }
        ),
        id="model-format",
    ),
    pytest.param(
        isvc({"containers": [{"name": "kserve-container", "image": "repo/server:1"}]}), id="custom-containers"
    ),
    pytest.param(isvc(sklearn(minReplicas=0, maxReplicas=0)), id="scale-to-zero-unbounded"),
    pytest.param(isvc(sklearn(minReplicas=3, maxReplicas=0)), id="min-above-unbounded-max"),
    pytest.param(isvc(sklearn(minReplicas=2, maxReplicas=2)), id="min-equals-max"),
    pytest.param(isvc(sklearn(canaryTrafficPercent=0)), id="canary-0"),
    pytest.param(isvc(sklearn(canaryTrafficPercent=100)), id="canary-100"),
    pytest.param(isvc(sklearn(scaleMetric="rps", scaleTarget=200)), id="kpa-rps"),
    pytest.param(isvc(sklearn(scaleMetric="cpu", scaleTarget=80), annotations=RAW), id="hpa-cpu-80"),
    pytest.param(isvc(sklearn(scaleMetric="memory", scaleTarget=500), annotations=RAW), id="hpa-memory-any-target"),
    pytest.param(
        isvc(sklearn(scaleMetric="cpu", scaleMetricType="AverageValue", scaleTarget=500), annotations=RAW),
        id="hpa-cpu-average-value",
    ),
    pytest.param(
        isvc(sklearn(scaleMetric="cpu"), annotations={"autoscaling.knative.dev/class": "hpa.autoscaling.knative.dev"}),
        id="knative-hpa-cpu",
    ),
    pytest.param(
        isvc(sklearn(scaleMetric="concurrency"), annotations={**RAW, "serving.kserve.io/autoscalerClass": "external"}),
        id="raw-external-autoscaler-ignores-metric",
    ),
    pytest.param(isvc(sklearn(logger={"url": "http://sink", "mode": "request"})), id="logger-request"),
    pytest.param(isvc(sklearn(batcher={"maxBatchSize": 32, "maxLatency": 5})), id="batcher"),
    pytest.param(isvc(transformer={"containers": [{"image": "repo/transformer:1"}]}), id="with-transformer"),
    pytest.param(isvc(explainer={"art": {"type": "SquareAttack", "storageUri": "gs://b/e"}}), id="art-explainer"),
    pytest.param(isvc(name="a" * 45), id="name-45-chars"),
    pytest.param(
        isvc(
            {
                "model": {"modelFormat": {"name": "pytorch"}, "storageUri": "gs://a/b"},
                "containers": [{"name": "transformer-container", "image": "t:1"}],
            }
        ),
        id="model-with-collocated-transformer-container",
    ),
    pytest.param(isvc(transformer=None, explainer=None), id="null-components-are-absent"),
    pytest.param(isvc(annotations={"serving.kserve.io/deploymentMode": "Standard"}), id="mode-standard"),
    pytest.param(
        isvc(
            {
                "pytorch": {"storageUri": "pvc://models/resnet", "resources": {"limits": {"nvidia.com/gpu": 1}}},
                "nodeSelector": {"gpu": "a100"},
                "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
            }
        ),
        id="gpu-pvc",
    ),
    pytest.param(
        isvc(
            {
                "onnx": {"storageUri": "hf://org/model"},
                "serviceAccountName": "sa",
                "timeout": 60,
                "containerConcurrency": 0,
            }
        ),
        id="hf-uri-timeout",
    ),
]


@pytest.mark.parametrize("obj", VALID_ISVCS)
def test_valid_inference_services_pass(obj: dict[str, Any]) -> None:
    assert validation.validate_inference_service(obj, old=None, config=settings.Defaults()) == []


INVALID_ISVCS = [
    pytest.param(isvc(name="My_Model"), "metadata.name", "lower-case", id="name-pattern"),
    pytest.param(isvc(name="1model"), "metadata.name", "starting with a letter", id="name-starts-with-digit"),
    pytest.param(isvc(name="model-"), "metadata.name", "ending with", id="name-ends-with-dash"),
    pytest.param(isvc(name="a" * 46), "metadata.name", "at most 45", id="name-too-long"),
    pytest.param({"metadata": {}, "spec": {"predictor": sklearn()}}, "metadata.name", "is required", id="name-missing"),
    pytest.param(isvc({}), "spec.predictor", "has no implementation", id="predictor-empty"),
    pytest.param(
        isvc({"sklearn": {"storageUri": "gs://a/b"}, "xgboost": {"storageUri": "gs://a/c"}}),
        "spec.predictor",
        "keep exactly one",
        id="predictor-two-frameworks",
    ),
    pytest.param(
        isvc(
            {
                "model": {"modelFormat": {"name": "sklearn"}, "storageUri": "gs://a/b"},
                "containers": [{"name": "kserve-container", "image": "x"}],
            }
        ),
        "spec.predictor",
        "model, containers",
        id="predictor-model-and-model-server-container",
    ),
    pytest.param(
        isvc({"containers": [{"name": "c"}]}),
        "spec.predictor.containers[0].image",
        "image",
        id="custom-container-without-image",
    ),
    pytest.param(
        isvc({"model": {"storageUri": "gs://a/b"}}),
        "spec.predictor.model.modelFormat",
        "required",
        id="model-without-format",
    ),
    pytest.param(isvc(sklearn(minReplicas=-1)), "spec.predictor.minReplicas", "use 0 or more", id="min-negative"),
    pytest.param(isvc(sklearn(maxReplicas=-2)), "spec.predictor.maxReplicas", "use 0 or more", id="max-negative"),
    pytest.param(
        isvc(sklearn(minReplicas=5, maxReplicas=2)),
        "spec.predictor.minReplicas",
        "more than maxReplicas",
        id="min-above-max",
    ),
    pytest.param(
        isvc(sklearn(containerConcurrency=-1)),
        "spec.predictor.containerConcurrency",
        "0 or more",
        id="container-concurrency-negative",
    ),
    pytest.param(
        isvc(sklearn(canaryTrafficPercent=101)),
        "spec.predictor.canaryTrafficPercent",
        "100 or less",
        id="canary-above-100",
    ),
    pytest.param(
        isvc(sklearn(canaryTrafficPercent=-5)), "spec.predictor.canaryTrafficPercent", "0 or more", id="canary-negative"
    ),
    pytest.param(
        isvc(sklearn(logger={"mode": "everything"})), "spec.predictor.logger.mode", "'all', 'request'", id="logger-mode"
    ),
    pytest.param(
        isvc({"sklearn": {"storageUri": "gs://a", "protocolVersion": "v3"}}),
        "spec.predictor.sklearn.protocolVersion",
        "'grpc-v2'",
        id="protocol-version",
    ),
    pytest.param(isvc(sklearn(scaleMetric="qps")), "spec.predictor.scaleMetric", "'concurrency'", id="metric-unknown"),
    pytest.param(
        isvc(sklearn(scaleMetric="cpu")), "spec.predictor.scaleMetric", "concurrency or rps", id="kpa-rejects-cpu"
    ),
    pytest.param(
        isvc(sklearn(scaleMetric="concurrency"), annotations=RAW),
        "spec.predictor.scaleMetric",
        "cpu or memory",
        id="hpa-rejects-concurrency",
    ),
    pytest.param(
        isvc(sklearn(scaleMetric="rps"), annotations={"autoscaling.knative.dev/class": "hpa.autoscaling.knative.dev"}),
        "spec.predictor.scaleMetric",
        "Knative HPA",
        id="knative-hpa-rejects-rps",
    ),
    pytest.param(
        isvc(sklearn(scaleMetric="rps"), annotations={**RAW, "serving.kserve.io/autoscalerClass": "keda"}),
        "spec.predictor.scaleMetric",
        "KEDA",
        id="keda-rejects-rps",
    ),
    pytest.param(
        isvc(sklearn(scaleMetric="cpu", scaleTarget=150), annotations=RAW),
        "spec.predictor.scaleTarget",
        "from 1 to 100",
        id="hpa-cpu-utilisation-above-100",
    ),
    pytest.param(
        isvc(sklearn(scaleTarget=101), annotations=RAW),
        "spec.predictor.scaleTarget",
        "percentage",
        id="hpa-default-cpu-utilisation-above-100",
    ),
    pytest.param(isvc(sklearn(scaleTarget=0)), "spec.predictor.scaleTarget", "use 1 or more", id="scale-target-zero"),
    pytest.param(
        isvc(annotations={"serving.kserve.io/deploymentMode": "ModelMesh"}),
        "metadata.annotations[serving.kserve.io/deploymentMode]",
        "Serverless, RawDeployment",
        id="mode-unknown",
    ),
    pytest.param(
        isvc(annotations={**RAW, "serving.kserve.io/autoscalerClass": "vpa"}),
        "metadata.annotations[serving.kserve.io/autoscalerClass]",
        "hpa, keda",
        id="autoscaler-class-unknown",
    ),
    pytest.param(
        isvc(annotations={"autoscaling.knative.dev/class": "kpa"}),
        "metadata.annotations[autoscaling.knative.dev/class]",
        "kpa.autoscaling.knative.dev",
        id="knative-class-unknown",
    ),
    pytest.param(
        isvc({"sklearn": {"storageUri": "ftp://host/model"}}),
        "spec.predictor.sklearn.storageUri",
        "gs://, s3://",
        id="storage-uri-scheme",
    ),
    pytest.param(
        isvc({"model": {"modelFormat": {"name": "onnx"}, "storageUri": "s3://"}}),
        "spec.predictor.model.storageUri",
        "followed by the location",
        id="storage-uri-empty-location",
    ),
    pytest.param(
        isvc({"sklearn": {"storageUri": "/mnt/models"}}),
        "spec.predictor.sklearn.storageUri",
        "not a storage URI",
        id="storage-uri-bare-path",
    ),
    pytest.param(
        isvc(explainer={"art": {"type": "SquareAttack", "storageUri": "bucket/x"}}),
        "spec.explainer.art.storageUri",
        "not a storage URI",
        id="explainer-storage-uri",
    ),
    pytest.param(
        isvc(transformer={}),
        "spec.transformer.containers",
        "at least one container",
        id="transformer-without-containers",
    ),
    pytest.param(
        isvc(transformer={"containers": [{"name": "t"}]}),
        "spec.transformer.containers[0].image",
        "image",
        id="transformer-container-without-image",
    ),
    pytest.param(
        isvc(explainer={"minReplicas": 1}),
        "spec.explainer.containers",
        "at least one container",
        id="explainer-without-implementation",
    ),
    pytest.param(
        isvc(explainer={"art": {"type": "SquareAttack"}, "containers": [{"image": "x"}]}),
        "spec.explainer",
        "exactly one",
        id="explainer-two-implementations",
    ),
    pytest.param(
        isvc(explainer={"art": {"type": "Anchors"}}), "spec.explainer.art.type", "'SquareAttack'", id="art-type"
    ),
    pytest.param(
        isvc(transformer={"containers": [{"image": "x"}], "maxReplicas": 1, "minReplicas": 2}),
        "spec.transformer.minReplicas",
        "more than maxReplicas",
        id="transformer-min-above-max",
    ),
    pytest.param(
        isvc(sklearn(minReplicas="two")), "spec.predictor.minReplicas", "must be an integer", id="shape-not-an-integer"
    ),
    pytest.param(
        isvc(sklearn(nodeSelector=["gpu"])),
        "spec.predictor.nodeSelector",
        "must be an object",
        id="shape-not-an-object",
    ),
    pytest.param(
        isvc({"sklearn": {"storageUri": "gs://a/b", "resources": {"limits": {"nvidia.com/gpu": [1]}}}}),
        "spec.predictor.sklearn.resources.limits[nvidia.com/gpu]",
        "an integer or a string",
        id="shape-quantity-path",
    ),
    pytest.param(
        isvc({"containers": [{"image": "x", "ports": [{"containerPort": 70000}]}]}),
        "spec.predictor.containers[0].ports[0].containerPort",
        "65535",
        id="shape-list-index-path",
    ),
    pytest.param({"metadata": {"name": "x"}}, "spec", "is required", id="spec-missing"),
]


@pytest.mark.parametrize(("obj", "field", "fix"), INVALID_ISVCS)
def test_invalid_inference_services_name_the_field_and_the_fix(obj: dict[str, Any], field: str, fix: str) -> None:
    found = validation.validate_inference_service(obj, old=None, config=settings.Defaults())
    matching = [violation for violation in found if violation.field == field]
    assert matching, f"expected a violation on {field}, got {found}"
    assert any(fix in violation.message for violation in matching), matching


def test_violations_are_not_repeated() -> None:
    found = validation.validate_inference_service(isvc(sklearn(minReplicas=-1)), old=None, config=settings.Defaults())
    assert len(found) == len(set(found)) == 1


def test_generate_name_stands_in_for_a_missing_name() -> None:
    obj = isvc()
    obj["metadata"] = {"generateName": "model-"}
    assert validation.validate_inference_service(obj, old=None, config=settings.Defaults()) == []


def test_violation_reads_as_field_then_message() -> None:
    assert str(validation.Violation("spec.x", "is wrong: fix it")) == "spec.x: is wrong: fix it"


SERVERLESS = {"serving.kserve.io/deploymentMode": "Serverless"}


@pytest.mark.parametrize(
    ("old_annotations", "new_annotations", "default", "recorded", "changed"),
    [
        pytest.param(None, None, "Serverless", None, False, id="both-default"),
        pytest.param(RAW, RAW, "Serverless", None, False, id="same-annotation"),
        pytest.param(
            RAW, {"serving.kserve.io/deploymentMode": "Standard"}, "Serverless", None, False, id="renamed-spelling"
        ),
        pytest.param(None, RAW, "Serverless", None, True, id="default-to-raw"),
        pytest.param(RAW, None, "Serverless", None, True, id="raw-annotation-removed-before-recorded"),
        pytest.param(RAW, None, "RawDeployment", None, False, id="annotation-removed-but-default-is-raw"),
        pytest.param(SERVERLESS, RAW, "Serverless", None, True, id="serverless-to-raw"),
        pytest.param(None, None, "RawDeployment", "Serverless", False, id="default-changed-recorded-mode-kept"),
        pytest.param(RAW, None, "Serverless", "RawDeployment", False, id="annotation-removed-recorded-raw-kept"),
        pytest.param(None, RAW, "RawDeployment", "Serverless", True, id="annotation-against-recorded-mode"),
    ],
)
def test_deployment_mode_is_immutable(
    old_annotations: dict[str, str] | None,
    new_annotations: dict[str, str] | None,
    default: str,
    recorded: str | None,
    changed: bool,
) -> None:
    config = settings.Defaults(default_deployment_mode=default)
    old = isvc(annotations=old_annotations)
    if recorded is not None:
        old["status"] = {"deploymentMode": recorded}
    new = isvc(annotations=new_annotations)
    found = validation.validate_inference_service(new, old=old, config=config)
    field = "metadata.annotations[serving.kserve.io/deploymentMode]"
    assert (field in fields_of(found)) is changed
    if changed:
        assert "delete the InferenceService and create it again" in found[0].message
        if recorded is not None:
            assert f"was {recorded}" in found[0].message


def test_config_default_mode_chooses_the_autoscaler() -> None:
    obj = isvc(sklearn(scaleMetric="cpu"))
    assert validation.validate_inference_service(obj, old=None, config=settings.Defaults()) != []
    raw_default = settings.Defaults(default_deployment_mode="RawDeployment")
    assert validation.validate_inference_service(obj, old=None, config=raw_default) == []


def test_update_without_changes_passes() -> None:
    obj = isvc(annotations=RAW)
    assert validation.validate_inference_service(obj, old=copy.deepcopy(obj), config=settings.Defaults()) == []


def runtime(**spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "supportedModelFormats": [{"name": "sklearn", "version": "1", "autoSelect": True, "priority": 1}],
        "protocolVersions": ["v1", "v2"],
        "containers": [
            {"name": "kserve-container", "image": "modelplane/runtime:0.1.0", "args": ["--model_name={{.Name}}"]}
        ],
    }
    body.update(spec)
    return {
        "apiVersion": "serving.kserve.io/v1alpha1",
        "kind": "ClusterServingRuntime",
        "metadata": {"name": "modelplane-sklearn"},
        "spec": body,
    }


def test_valid_serving_runtime_passes() -> None:
    assert validation.validate_serving_runtime(runtime(multiModel=True, disabled=False), old=None, config=None) == []


INVALID_RUNTIMES = [
    pytest.param(runtime(containers=[]), "spec.containers", "at least one container", id="no-containers"),
    pytest.param({"metadata": {"name": "r"}, "spec": {}}, "spec.containers", "is required", id="containers-missing"),
    pytest.param(runtime(containers=[{"name": "c"}]), "spec.containers[0].image", "image", id="container-no-image"),
    pytest.param(
        runtime(supportedModelFormats=[{"name": "sklearn", "priority": 0}]),
        "spec.supportedModelFormats[0].priority",
        "1 or more",
        id="priority-zero",
    ),
    pytest.param(
        runtime(supportedModelFormats=[{"name": " "}]),
        "spec.supportedModelFormats[0].name",
        "not be empty",
        id="format-name-empty",
    ),
    pytest.param(
        runtime(supportedModelFormats=[{"version": "1"}]),
        "spec.supportedModelFormats[0].name",
        "required",
        id="format-name-missing",
    ),
    pytest.param(
        runtime(supportedModelFormats=[{"name": "onnx", "version": "1"}, {"name": "onnx", "version": "1"}]),
        "spec.supportedModelFormats[1]",
        "listed twice",
        id="format-duplicate",
    ),
    pytest.param(runtime(protocolVersions=["v2", "v2"]), "spec.protocolVersions", "twice", id="protocol-duplicate"),
    pytest.param(runtime(protocolVersions=["v3"]), "spec.protocolVersions[0]", "'grpc-v2'", id="protocol-unknown"),
    pytest.param(runtime(multiModel="yes"), "spec.multiModel", "true or false", id="multimodel-not-bool"),
    pytest.param({**runtime(), "metadata": {"name": "Bad_Name"}}, "metadata.name", "lower-case", id="name-pattern"),
]


@pytest.mark.parametrize(("obj", "field", "fix"), INVALID_RUNTIMES)
def test_invalid_serving_runtimes_name_the_field_and_the_fix(obj: dict[str, Any], field: str, fix: str) -> None:
    found = validation.validate_serving_runtime(obj, old=None, config=None)
    matching = [violation for violation in found if violation.field == field]
    assert matching, f"expected a violation on {field}, got {found}"
    assert any(fix in violation.message for violation in matching), matching


def trained_model(**model: Any) -> dict[str, Any]:
    body = {"storageUri": "gs://bucket/model-2", "framework": "sklearn", "memory": "256Mi"}
    body.update(model)
    return {
        "apiVersion": "serving.kserve.io/v1alpha1",
        "kind": "TrainedModel",
        "metadata": {"name": "iris-v2"},
        "spec": {"inferenceService": "iris-mms", "model": body},
    }


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param(trained_model(), id="memory-mi"),
        pytest.param(trained_model(memory="1Gi"), id="memory-gi"),
        pytest.param(trained_model(memory=1073741824), id="memory-integer"),
    ],
)
def test_valid_trained_models_pass(obj: dict[str, Any]) -> None:
    assert validation.validate_trained_model(obj, old=None, config=None) == []


INVALID_TRAINED_MODELS = [
    pytest.param(trained_model(memory="lots"), "spec.model.memory", "like 256Mi", id="memory-not-quantity"),
    pytest.param(trained_model(memory="0"), "spec.model.memory", "positive", id="memory-zero"),
    pytest.param(trained_model(memory="-1Gi"), "spec.model.memory", "positive", id="memory-negative"),
    pytest.param(
        trained_model(storageUri="bucket/model"), "spec.model.storageUri", "not a storage URI", id="storage-uri"
    ),
    pytest.param(trained_model(framework=""), "spec.model.framework", "not be empty", id="framework-empty"),
    pytest.param(
        {**trained_model(), "spec": {"model": trained_model()["spec"]["model"]}},
        "spec.inferenceService",
        "is required",
        id="parent-missing",
    ),
    pytest.param(
        {**trained_model(), "spec": {**trained_model()["spec"], "inferenceService": "Iris_MMS"}},
        "spec.inferenceService",
        "parent InferenceService",
        id="parent-name-pattern",
    ),
    pytest.param(
        {**trained_model(), "metadata": {"name": "Iris.v2"}}, "metadata.name", "lower-case", id="name-pattern"
    ),
]


@pytest.mark.parametrize(("obj", "field", "fix"), INVALID_TRAINED_MODELS)
def test_invalid_trained_models_name_the_field_and_the_fix(obj: dict[str, Any], field: str, fix: str) -> None:
    found = validation.validate_trained_model(obj, old=None, config=None)
    matching = [violation for violation in found if violation.field == field]
    assert matching, f"expected a violation on {field}, got {found}"
    assert any(fix in violation.message for violation in matching), matching


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"memory": "512Mi"}, "spec.model.memory", id="memory-immutable"),
        pytest.param({"inferenceService": "other"}, "spec.inferenceService", id="parent-immutable"),
    ],
)
def test_trained_model_update_rules(change: dict[str, str], field: str) -> None:
    old = trained_model()
    new = copy.deepcopy(old)
    if "memory" in change:
        new["spec"]["model"]["memory"] = change["memory"]
    else:
        new["spec"]["inferenceService"] = change["inferenceService"]
    found = validation.validate_trained_model(new, old=old, config=None)
    assert fields_of(found) == [field]
    assert "cannot change after creation" in found[0].message
    assert validation.validate_trained_model(old, old=copy.deepcopy(old), config=None) == []


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 200) | st.sampled_from(["", "x", "gs://b/m", "v1", "cpu", "-1"]),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "spec",
                    "predictor",
                    "sklearn",
                    "model",
                    "containers",
                    "minReplicas",
                    "maxReplicas",
                    "metadata",
                    "name",
                    "annotations",
                    "storageUri",
                    "modelFormat",
                    "logger",
                    "mode",
                    "transformer",
                    "explainer",
                    "art",
                    "scaleMetric",
                    "scaleTarget",
                    "inferenceService",
                    "memory",
                    "supportedModelFormats",
                    "image",
                ]
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=25,
)


@hypothesis.given(obj=JSON, old=JSON)
@hypothesis.settings(max_examples=300, deadline=None)
def test_any_json_gets_violations_never_an_exception(obj: object, old: object) -> None:
    """The webhook hands these functions whatever the API server sends; they must answer, not crash."""
    document = obj if isinstance(obj, dict) else {"spec": obj}
    previous = old if isinstance(old, dict) else None
    for check in (
        validation.validate_inference_service,
        validation.validate_serving_runtime,
        validation.validate_trained_model,
    ):
        found = check(document, old=previous, config=settings.Defaults())
        assert all(isinstance(violation, validation.Violation) for violation in found)
        assert all(violation.field and violation.message for violation in found)


DOCS = pathlib.Path(__file__).resolve().parents[3] / "docs" / "api.md"
CHECKS = {
    "InferenceService": validation.validate_inference_service,
    "ServingRuntime": validation.validate_serving_runtime,
    "ClusterServingRuntime": validation.validate_serving_runtime,
    "TrainedModel": validation.validate_trained_model,
}


def test_examples_in_the_api_docs_are_valid() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", DOCS.read_text(encoding="utf-8"), flags=re.DOTALL)
    documents = [yaml.safe_load(block) for block in blocks]
    assert sorted(document["kind"] for document in documents) == [
        "ClusterServingRuntime",
        "InferenceService",
        "TrainedModel",
    ]
    for document in documents:
        assert CHECKS[document["kind"]](document, old=None, config=settings.Defaults()) == [], document["kind"]
