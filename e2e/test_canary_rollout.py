"""Journey: a new model version goes out as a 10% canary (the split measured over 200 requests through the
ingress), is rolled back to the stable version, then promoted to take all the traffic; a rollback after the
promotion keeps the promoted version, since, as in KServe, a rollback pins traffic to the last version rolled out
to 100%."""

from __future__ import annotations

IRIS = {"instances": [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]}
STABLE, CANARY = [1, 1], [2, 2]
PATH = "/v1/models/iris:predict"


def shares(journey, count: int, *, settled: bool = True) -> dict[str, int]:
    """Which version answered each of `count` requests. Once the route has settled every request must answer 200
    with one of the two versions' predictions; while a step is still rolling out, 502/503/404 are retried."""
    seen = {"stable": 0, "canary": 0}
    for _ in range(count):
        if settled:
            status, body = journey.post("iris", PATH, IRIS)
        else:
            status, body = journey.answered("iris", PATH, IRIS)
        assert status == 200, (status, body)
        predictions = body.get("predictions")
        assert predictions in (STABLE, CANARY), body
        seen["canary" if predictions == CANARY else "stable"] += 1
    return seen


def test_canary_10_percent_then_rollback_then_promote(journey, model_repository: str) -> None:
    stable_uri = f"{model_repository}/iris/model.joblib"
    canary_uri = f"{model_repository}/iris-constant-2/model.joblib"
    journey.apply(journey.sklearn("iris", stable_uri))
    journey.ready("iris")
    assert journey.answered("iris", PATH, IRIS) == (200, {"predictions": STABLE})

    journey.apply(journey.sklearn("iris", canary_uri, canaryTrafficPercent=10))
    journey.wait("the canary Deployment", lambda: "iris-predictor-canary" in journey.names("deployments"))
    journey.ready("iris")
    journey.wait("the canary to take traffic", lambda: shares(journey, 20, settled=False)["canary"] > 0, timeout=120)
    measured = shares(journey, 200)
    assert 0.05 <= measured["canary"] / 200 <= 0.15, measured

    journey.apply(journey.sklearn("iris", canary_uri, canaryTrafficPercent=0))
    journey.wait(
        "the rollback to send all traffic to the stable model",
        lambda: shares(journey, 20, settled=False)["canary"] == 0,
    )
    assert shares(journey, 50) == {"stable": 50, "canary": 0}

    journey.apply(journey.sklearn("iris", canary_uri, canaryTrafficPercent=100))
    journey.wait(
        "the promotion to send all traffic to the new model",
        lambda: shares(journey, 20, settled=False)["stable"] == 0,
    )
    assert shares(journey, 50) == {"stable": 0, "canary": 50}
    journey.wait(
        "the canary Deployment to be pruned", lambda: "iris-predictor-canary" not in journey.names("deployments")
    )

    journey.apply(journey.sklearn("iris", canary_uri, canaryTrafficPercent=0))
    journey.ready("iris")
    assert shares(journey, 50) == {"stable": 0, "canary": 50}
    assert "iris-predictor-canary" not in journey.names("deployments")
