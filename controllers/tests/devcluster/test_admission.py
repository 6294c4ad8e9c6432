"""Covers devcluster.admission: which pods get the toleration and node selector, and the AdmissionReview answer."""

from __future__ import annotations

import base64
import json

from modelplane.devcluster import admission, images

RULES = images.DEFAULT_RULES
OURS = {"kind": "Pod", "spec": {"containers": [{"name": "c", "image": "modelplane/runtime:0.1.0"}]}}


def apply_patch(pod: dict, ops: list[dict]) -> dict:
    """A tiny JSON Patch 'add' applier, enough to check the operations land where they should."""
    pod = json.loads(json.dumps(pod))
    for op in ops:
        assert op["op"] == "add"
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        target = pod
        for part in parts[:-1]:
            target = target[part]
        if parts[-1] == "-":
            target.append(op["value"])
        else:
            target[parts[-1]] = op["value"]
    return pod


def test_our_pod_gets_toleration_and_selector() -> None:
    patched = apply_patch(OURS, admission.patch(OURS, rules=RULES))
    assert patched["spec"]["tolerations"] == [admission.TOLERATION]
    assert patched["spec"]["nodeSelector"] == {admission.LABEL: "true"}


def test_existing_tolerations_and_selectors_are_extended_not_replaced() -> None:
    pod = json.loads(json.dumps(OURS))
    pod["spec"]["tolerations"] = [{"key": "other", "operator": "Exists"}]
    pod["spec"]["nodeSelector"] = {"zone": "a"}
    patched = apply_patch(pod, admission.patch(pod, rules=RULES))
    assert patched["spec"]["tolerations"] == [{"key": "other", "operator": "Exists"}, admission.TOLERATION]
    assert patched["spec"]["nodeSelector"] == {"zone": "a", admission.LABEL: "true"}
    assert admission.patch(patched, rules=RULES) == []


def test_foreign_and_pre_bound_pods_are_left_alone() -> None:
    foreign = {
        "spec": {"containers": [{"name": "c", "image": "nginx"}, {"name": "d", "image": "modelplane/runtime:0.1.0"}]}
    }
    assert admission.patch(foreign, rules=RULES) == []
    bound = {"spec": {**OURS["spec"], "nodeName": "kwok-node-0"}}
    assert admission.patch(bound, rules=RULES) == []


def test_review_answers_with_a_base64_json_patch_and_the_request_uid() -> None:
    answer = admission.review(
        {"apiVersion": "admission.k8s.io/v1", "request": {"uid": "r1", "operation": "CREATE", "object": OURS}},
        rules=RULES,
    )
    response = answer["response"]
    assert answer["kind"] == "AdmissionReview"
    assert response["uid"] == "r1"
    assert response["allowed"] is True
    assert response["patchType"] == "JSONPatch"
    assert json.loads(base64.b64decode(response["patch"])) == admission.patch(OURS, rules=RULES)
    untouched = admission.review(
        {"request": {"uid": "r2", "operation": "CREATE", "object": {"spec": {"containers": []}}}}, rules=RULES
    )
    assert "patch" not in untouched["response"]
