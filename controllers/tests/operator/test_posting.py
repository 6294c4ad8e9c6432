"""Tests of the Events the operator posts: they point at the reconciled object (kind, name, namespace, uid), carry
type, reason and message (cut to the API's length limit), name the component and this replica, and take a
generated name in the object's namespace.
"""

from __future__ import annotations

import datetime

from modelplane.operator import posting
from modelplane.reconcile.plan import Event

ISVC = {
    "apiVersion": "serving.kserve.io/v1beta1",
    "kind": "InferenceService",
    "metadata": {"name": "iris", "namespace": "m", "uid": "u-1"},
}
NOW = datetime.datetime(2026, 12, 1, 10, 0, 0, tzinfo=datetime.UTC)


def test_event_points_at_the_object_and_names_the_replica() -> None:
    body = posting.event_body(
        ISVC, Event(type="Warning", reason="Repaired", message="restored"), now=NOW, instance="pod-a_1"
    )
    assert body["metadata"] == {"generateName": "iris.", "namespace": "m"}
    assert body["involvedObject"] == {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "name": "iris",
        "namespace": "m",
        "uid": "u-1",
    }
    assert (body["type"], body["reason"], body["message"]) == ("Warning", "Repaired", "restored")
    assert body["reportingComponent"] == body["source"]["component"] == "modelplane"
    assert body["reportingInstance"] == "pod-a_1"
    assert body["firstTimestamp"] == body["lastTimestamp"] == "2026-12-01T10:00:00Z"


def test_long_messages_are_cut_to_the_limit() -> None:
    body = posting.event_body(ISVC, Event(type="Normal", reason="R", message="x" * 5000), now=NOW, instance="i")
    assert len(body["message"]) == posting.MESSAGE_LIMIT
