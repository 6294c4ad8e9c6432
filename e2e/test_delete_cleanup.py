"""Journey: deleting an InferenceService removes everything it made (Deployment, Service, HPA, route) and stops its
pods, so its host stops answering."""

from __future__ import annotations

IRIS = {"instances": [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]}
PATH = "/v1/models/to-delete:predict"


def test_delete_removes_children_and_stops_serving(journey, model_repository: str) -> None:
    journey.apply(journey.sklearn("to-delete", f"{model_repository}/iris/model.joblib"))
    journey.ready("to-delete")
    assert journey.answered("to-delete", PATH, IRIS) == (200, {"predictions": [1, 1]})
    host = journey.host("to-delete")
    assert journey.names("deployments") == ["to-delete-predictor"]
    assert journey.names("horizontalpodautoscalers") == ["to-delete-predictor"]
    assert [route.split("/", 1)[1] for route in journey.routes()] == ["to-delete"]

    journey.kubectl("delete", "inferenceservice", "to-delete", "--wait=true", "--timeout=120s")

    journey.wait("the Deployment to go", lambda: not journey.names("deployments"))
    journey.wait("the HPA to go", lambda: not journey.names("horizontalpodautoscalers"))
    journey.wait("the predictor Service to go", lambda: "to-delete-predictor" not in journey.names("services"))
    journey.wait("the route to go", lambda: not journey.routes())
    journey.wait(
        "the predictor pods to go",
        lambda: not [p for p in journey.names("pods") if p.startswith("to-delete-predictor")],
    )
    journey.wait("the host to stop answering", lambda: journey.post_to(host, PATH, IRIS)[0] in (404, 502, 503))
