"""Journey: an InferenceService's scaling fields become the autoscaler's settings. In Raw mode the
HorizontalPodAutoscaler takes the replica bounds and the CPU target, and follows an edit; in Serverless mode the
Knative Service carries KServe's autoscaling annotations (class, metric, target, min-scale, max-scale), the
container concurrency and the timeout. On the kind profile the Serverless service also turns Ready and answers."""

from __future__ import annotations

import pytest

IRIS = {"instances": [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]}
KSVC = "services.serving.knative.dev"


def test_raw_hpa_takes_the_bounds_and_the_target_and_follows_edits(journey, model_repository: str) -> None:
    uri = f"{model_repository}/iris/model.joblib"
    scaling = {"minReplicas": 1, "maxReplicas": 3, "scaleMetric": "cpu", "scaleTarget": 60}
    journey.apply(journey.sklearn("hpa-iris", uri, **scaling))
    journey.ready("hpa-iris")
    hpa = journey.wait("the HPA", lambda: journey.get("horizontalpodautoscaler", "hpa-iris-predictor"))
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "hpa-iris-predictor",
    }
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (1, 3)
    assert hpa["spec"]["metrics"] == [
        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}}
    ]

    journey.apply(journey.sklearn("hpa-iris", uri, **{**scaling, "maxReplicas": 5, "scaleTarget": 80}))

    def edited() -> bool:
        spec = (journey.get("horizontalpodautoscaler", "hpa-iris-predictor") or {}).get("spec", {})
        target = spec.get("metrics", [{}])[0].get("resource", {}).get("target", {})
        return spec.get("maxReplicas") == 5 and target.get("averageUtilization") == 80

    journey.wait("the HPA to follow the edit", edited)


def serverless_iris(uri: str) -> dict:
    predictor = {
        "model": {"modelFormat": {"name": "sklearn"}, "storageUri": uri},
        "minReplicas": 1,
        "maxReplicas": 4,
        "scaleMetric": "concurrency",
        "scaleTarget": 5,
        "containerConcurrency": 10,
        "timeout": 60,
    }
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "kpa-iris", "annotations": {"serving.kserve.io/deploymentMode": "Serverless"}},
        "spec": {"predictor": predictor},
    }


def test_serverless_knative_service_carries_the_autoscaling_settings(journey, model_repository: str) -> None:
    journey.apply(serverless_iris(f"{model_repository}/iris/model.joblib"))
    ksvc = journey.wait("the Knative Service", lambda: journey.get(KSVC, "kpa-iris-predictor"))
    template = ksvc["spec"]["template"]
    annotations = template["metadata"]["annotations"]
    assert {key: annotations.get(key) for key in annotations if key.startswith("autoscaling.knative.dev/")} == {
        "autoscaling.knative.dev/class": "kpa.autoscaling.knative.dev",
        "autoscaling.knative.dev/metric": "concurrency",
        "autoscaling.knative.dev/target": "5",
        "autoscaling.knative.dev/min-scale": "1",
        "autoscaling.knative.dev/max-scale": "4",
    }
    assert template["spec"]["containerConcurrency"] == 10
    assert template["spec"]["timeoutSeconds"] == 60


@pytest.mark.kind
def test_serverless_autoscaled_service_answers(journey, model_repository: str) -> None:
    journey.apply(serverless_iris(f"{model_repository}/iris/model.joblib"))
    journey.ready("kpa-iris", timeout=600)
    assert journey.answered("kpa-iris", "/v1/models/kpa-iris:predict", IRIS, timeout=120) == (
        200,
        {"predictions": [1, 1]},
    )
