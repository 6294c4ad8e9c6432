"""Tests for the demo's walk-through (modelplane.devcluster.demoing), the parts that need no cluster.

Covers: the one-line summary of an InferenceService's conditions (none yet, failing ones with reason and message,
Ready first); readiness; the host of a status URL; the next steps printed at the end (V1 and V2 requests with the
Host header, the namespace, the tear-down); the iris model the demo trains answers [1, 1] for the README's rows.
"""

from __future__ import annotations

import io
import json
import shlex

import joblib
import pytest
from modelplane.devcluster import demoing


@pytest.mark.parametrize(
    ("status", "summary"),
    [
        pytest.param({}, "no status yet (the controller has not reconciled it)", id="no-status"),
        pytest.param(
            {
                "conditions": [
                    {"type": "PredictorReady", "status": "False", "reason": "NotCreated", "message": "no Deployment"},
                    {"type": "IngressReady", "status": "True"},
                    {"type": "Ready", "status": "False", "reason": "NotCreated"},
                ]
            },
            "Ready=False (NotCreated), IngressReady=True, PredictorReady=False (NotCreated: no Deployment)",
            id="failing-with-reasons",
        ),
        pytest.param(
            {"conditions": [{"type": "PredictorReady", "status": "True"}, {"type": "Ready", "status": "True"}]},
            "Ready=True, PredictorReady=True",
            id="ready",
        ),
    ],
)
def test_condition_summary(status: dict, summary: str) -> None:
    assert demoing.condition_summary({"status": status}) == summary


def test_is_ready_only_with_a_true_ready_condition() -> None:
    assert demoing.is_ready({"status": {"conditions": [{"type": "Ready", "status": "True"}]}})
    assert not demoing.is_ready({"status": {"conditions": [{"type": "Ready", "status": "Unknown"}]}})
    assert not demoing.is_ready({"status": {"conditions": [{"type": "PredictorReady", "status": "True"}]}})
    assert not demoing.is_ready({})


def test_host_of_a_status_url() -> None:
    assert demoing.host_of("http://sklearn-iris-default.example.com") == "sklearn-iris-default.example.com"
    assert demoing.host_of("https://a-b.models.example.internal/v1") == "a-b.models.example.internal"


def test_next_steps_are_commands_that_send_the_iris_rows() -> None:
    text = demoing.next_steps(name="iris", namespace="team-a", host="iris-team-a.example.com", ingress="http://h:1")
    curls = [shlex.split(line) for line in text.splitlines() if line.strip().startswith("curl ")]
    assert [c[:4] for c in curls] == [
        ["curl", "-H", "Host: iris-team-a.example.com", "http://h:1/v1/models/iris:predict"],
        ["curl", "-H", "Host: iris-team-a.example.com", "http://h:1/v2/models/iris/infer"],
    ]
    assert json.loads(curls[0][5]) == {"instances": demoing.IRIS}
    v2 = json.loads(curls[1][5])["inputs"][0]
    assert (v2["shape"], v2["data"]) == ([2, 4], [6.8, 2.8, 4.8, 1.4, 6.0, 3.4, 4.5, 1.6])
    assert "-n team-a get isvc" in text
    assert text.splitlines()[-1].endswith("make down")


def test_the_trained_model_answers_the_readme_rows() -> None:
    model = joblib.load(io.BytesIO(demoing.iris_model()))
    assert model.predict(demoing.IRIS).tolist() == [1, 1]
