"""Tests of the apply layer's pure helpers: the content hash that lets an unchanged child skip its write, and the
status merge patch (only changed fields, removed fields set to null, nothing when equal).
"""

from __future__ import annotations

from modelplane.operator import applying

CHILD = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "iris-predictor", "namespace": "m"},
    "spec": {"ports": []},
}


def test_hash_is_stable_and_follows_content() -> None:
    first = applying.stamped(CHILD)
    again = applying.stamped(CHILD)
    changed = applying.stamped({**CHILD, "spec": {"ports": [{"port": 80}]}})
    digest = first["metadata"]["annotations"][applying.HASH_ANNOTATION]
    assert again["metadata"]["annotations"][applying.HASH_ANNOTATION] == digest
    assert changed["metadata"]["annotations"][applying.HASH_ANNOTATION] != digest
    assert "annotations" not in CHILD["metadata"], "the desired manifest itself is not modified"


def test_status_patch_holds_only_changes() -> None:
    old = {"url": "http://a", "conditions": [{"type": "Ready", "status": "False"}], "kopf": {"progress": {}}}
    new = {"conditions": [{"type": "Ready", "status": "True"}]}
    assert applying.status_patch(old=old, new=new) == {"url": None, "conditions": new["conditions"]}


def test_equal_status_needs_no_patch() -> None:
    status = {"url": "http://a", "observedGeneration": 2}
    assert applying.status_patch(old=dict(status), new=status) is None
