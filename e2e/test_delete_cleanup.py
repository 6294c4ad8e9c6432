"""Journey: deleting an InferenceService removes everything it made (Deployment, Service, route) and stops its
pods, so its host stops answering."""

from __future__ import annotations


def test_delete_removes_children_and_stops_serving(journey, model_repository: str) -> None:
    journey.apply(journey.sklearn("to-delete", f"{model_repository}/iris/model.joblib"))
    journey.ready("to-delete")
    host_before = journey.host("to-delete")
    assert journey.names("deployments") == ["to-delete-predictor"]

    journey.kubectl("delete", "inferenceservice", "to-delete", "--wait=true", "--timeout=120s")

    journey.wait("the Deployment to go", lambda: not journey.names("deployments"))
    journey.wait("the predictor Service to go", lambda: "to-delete-predictor" not in journey.names("services"))
    journey.wait(
        "the predictor pods to go",
        lambda: not [p for p in journey.names("pods") if p.startswith("to-delete-predictor")],
    )
    assert host_before
