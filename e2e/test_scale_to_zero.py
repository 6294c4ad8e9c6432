"""Journey: `minReplicas: 0` lets a Serverless InferenceService scale to zero. Its Knative Service allows zero pods
(`autoscaling.knative.dev/min-scale: "0"`); on the kind profile, once Knative's scale-to-zero grace has passed with
no traffic the predictor has no pods, and the next request starts one and is answered (a cold start)."""

from __future__ import annotations

import time

import pytest

IRIS = {"instances": [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]}
KSVC = "services.serving.knative.dev"


def zero_iris(uri: str) -> dict:
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "zero-iris", "annotations": {"serving.kserve.io/deploymentMode": "Serverless"}},
        "spec": {"predictor": {"minReplicas": 0, "model": {"modelFormat": {"name": "sklearn"}, "storageUri": uri}}},
    }


def test_min_replicas_zero_allows_zero_pods(journey, model_repository: str) -> None:
    journey.apply(zero_iris(f"{model_repository}/iris/model.joblib"))
    ksvc = journey.wait("the Knative Service", lambda: journey.get(KSVC, "zero-iris-predictor"))
    assert ksvc["spec"]["template"]["metadata"]["annotations"]["autoscaling.knative.dev/min-scale"] == "0"


@pytest.mark.kind
def test_idle_service_goes_to_zero_and_a_request_brings_it_back(journey, model_repository: str) -> None:
    journey.apply(zero_iris(f"{model_repository}/iris/model.joblib"))
    journey.ready("zero-iris", timeout=600)
    assert journey.answered("zero-iris", "/v1/models/zero-iris:predict", IRIS, timeout=120)[0] == 200

    def no_pods() -> bool:
        pods = journey.kubectl("get", "pods", "-l", "serving.kserve.io/inferenceservice=zero-iris", "-o", "name")
        return not pods.strip()

    journey.wait("the predictor to scale to zero", no_pods, timeout=300)
    started = time.monotonic()
    status, body = journey.answered("zero-iris", "/v1/models/zero-iris:predict", IRIS, timeout=180)
    assert (status, body) == (200, {"predictions": [1, 1]})
    print(f"cold start: first answer {time.monotonic() - started:.1f} s after the request")
