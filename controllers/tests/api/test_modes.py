"""Tests for modelplane.api.modes: reading the deployment mode and the autoscaler from annotations.

Covers: mode from annotation or default, KServe's newer spellings normalised, unknown modes; the mode recorded in
`status.deploymentMode` (normalised; absent, unknown or malformed means none); the autoscaler per
mode (Knative KPA default, Knative HPA class, Raw HPA default, KEDA, external, none) and unknown classes.
"""

from __future__ import annotations

import pytest
from modelplane.api import modes


@pytest.mark.parametrize(
    ("annotations", "default", "expected"),
    [
        pytest.param({}, "Serverless", "Serverless", id="default-serverless"),
        pytest.param({}, "Standard", "RawDeployment", id="default-standard"),
        pytest.param({modes.DEPLOYMENT_MODE: "Knative"}, "RawDeployment", "Serverless", id="knative"),
        pytest.param({modes.DEPLOYMENT_MODE: "RawDeployment"}, "Serverless", "RawDeployment", id="raw"),
        pytest.param({modes.DEPLOYMENT_MODE: "ModelMesh"}, "Serverless", None, id="unknown"),
    ],
)
def test_deployment_mode(annotations: dict[str, str], default: str, expected: str | None) -> None:
    assert modes.deployment_mode({"annotations": annotations}, default=default) == expected


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        pytest.param({"status": {"deploymentMode": "RawDeployment"}}, "RawDeployment", id="raw"),
        pytest.param({"status": {"deploymentMode": "Knative"}}, "Serverless", id="knative-normalised"),
        pytest.param({"status": {"deploymentMode": "ModelMesh"}}, None, id="unknown"),
        pytest.param({"status": {"deploymentMode": 3}}, None, id="malformed"),
        pytest.param({"status": {}}, None, id="not-recorded"),
        pytest.param({}, None, id="no-status"),
        pytest.param(None, None, id="no-object"),
    ],
)
def test_recorded_mode(obj: dict[str, object] | None, expected: str | None) -> None:
    assert modes.recorded_mode(obj) == expected


@pytest.mark.parametrize(
    ("annotations", "mode", "expected"),
    [
        pytest.param({}, "Serverless", "kpa", id="serverless-default-kpa"),
        pytest.param(
            {modes.KNATIVE_AUTOSCALER_CLASS: modes.KNATIVE_HPA}, "Serverless", "knative-hpa", id="serverless-hpa-class"
        ),
        pytest.param({modes.KNATIVE_AUTOSCALER_CLASS: "other"}, "Serverless", None, id="serverless-unknown"),
        pytest.param({}, "RawDeployment", "hpa", id="raw-default-hpa"),
        pytest.param({modes.AUTOSCALER_CLASS: "keda"}, "RawDeployment", "keda", id="raw-keda"),
        pytest.param({modes.AUTOSCALER_CLASS: "none"}, "RawDeployment", "none", id="raw-none"),
        pytest.param({modes.AUTOSCALER_CLASS: "vpa"}, "RawDeployment", None, id="raw-unknown"),
        pytest.param({}, None, None, id="unknown-mode"),
    ],
)
def test_autoscaler(annotations: dict[str, str], mode: str | None, expected: str | None) -> None:
    assert modes.autoscaler({"annotations": annotations}, mode=mode) == expected
