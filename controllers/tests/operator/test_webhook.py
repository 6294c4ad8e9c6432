"""The validating webhook through the real API server: invalid objects are refused with the field named.

Covers: InferenceService cross-field rules the CRD schema cannot express (min > max replicas, two predictor
implementations, a scale metric the autoscaler class cannot use, an unknown storage URI scheme, a name too long
for revision names) and the deployment mode being immutable on update; a ServingRuntime and a TrainedModel that
break their rules. Each refusal must come from the webhook (not the schema) and name the offending field.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

pytestmark = pytest.mark.cluster

# Another operator of this project on a shared cluster may register the same rules under its own configuration
# name (a local run's `validate-<kind>.<configuration>`, or a chart release's
# `<kind>[.<release>].validation.modelplane.io`); whichever answers first, the refusal comes from this project's code.
DENIED = (
    r'admission webhook "(validate-{kind}\.[a-z0-9.-]*serving\.kserve\.io'
    r'|{kind}\.([a-z0-9-]+\.)?validation\.modelplane\.io)" denied the request'
)


def _isvc(name: str, predictor: dict[str, Any], annotations: dict[str, str] | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if annotations:
        metadata["annotations"] = annotations
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": metadata,
        "spec": {"predictor": predictor},
    }


SKLEARN = {"sklearn": {"storageUri": "gs://models/iris"}}
CASES = {
    "min-above-max": (
        "inferenceservice",
        _isvc("bounds", {**SKLEARN, "minReplicas": 5, "maxReplicas": 2}),
        "spec.predictor.minReplicas",
    ),
    "two-implementations": (
        "inferenceservice",
        _isvc("twice", {**SKLEARN, "xgboost": {"storageUri": "gs://models/x"}}),
        "spec.predictor",
    ),
    "kpa-with-cpu-metric": (
        "inferenceservice",
        _isvc("metric", {**SKLEARN, "scaleMetric": "cpu"}),
        "spec.predictor.scaleMetric",
    ),
    "unknown-storage-scheme": (
        "inferenceservice",
        _isvc("scheme", {"sklearn": {"storageUri": "ftp://models/iris"}}),
        "spec.predictor.sklearn.storageUri",
    ),
    "name-too-long-for-revisions": (
        "inferenceservice",
        _isvc("n" * 50, SKLEARN),
        "metadata.name",
    ),
    "runtime-without-containers": (
        "servingruntime",
        {
            "apiVersion": "serving.kserve.io/v1alpha1",
            "kind": "ServingRuntime",
            "metadata": {"name": "empty"},
            "spec": {"supportedModelFormats": [{"name": "sklearn"}], "containers": []},
        },
        "spec.containers",
    ),
    "trained-model-zero-memory": (
        "trainedmodel",
        {
            "apiVersion": "serving.kserve.io/v1alpha1",
            "kind": "TrainedModel",
            "metadata": {"name": "tm"},
            "spec": {
                "inferenceService": "parent",
                "model": {
                    "framework": "sklearn",
                    "storageUri": "gs://m/x",
                    "memory": "0",
                },
            },
        },
        "spec.model.memory",
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_invalid_object_is_refused_by_the_webhook_naming_the_field(case: str, namespace: str, kube: Any) -> None:
    kind, manifest, field = CASES[case]
    manifest = {
        **manifest,
        "metadata": {**manifest["metadata"], "namespace": namespace},
    }
    result = kube.apply(json.dumps(manifest))
    assert result.returncode != 0, f"the API server accepted an invalid {kind}"
    assert re.search(DENIED.format(kind=kind), result.stderr), result.stderr
    assert field in result.stderr, result.stderr


def test_deployment_mode_cannot_change(namespace: str, kube: Any) -> None:
    manifest = _isvc("fixed", SKLEARN, {"serving.kserve.io/deploymentMode": "Serverless"})
    manifest["metadata"]["namespace"] = namespace
    assert kube.apply(json.dumps(manifest)).returncode == 0
    manifest["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] = "RawDeployment"
    result = kube.apply(json.dumps(manifest))
    assert result.returncode != 0
    assert re.search(DENIED.format(kind="inferenceservice"), result.stderr), result.stderr
    assert "serving.kserve.io/deploymentMode" in result.stderr
