"""The mutating admission decision that steers pods of Modelplane's images onto the process node.

The process node carries a NoSchedule taint, so the scheduler never places other pods on it (they keep going to
the kwok nodes). A pod whose containers all use Modelplane's images gets the matching toleration and a node
selector for the node's label, so the real scheduler places it on the process node and nowhere else.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from typing import Any

from modelplane.devcluster import images

LABEL = "modelplane.dev/process-node"
TAINT = {"key": LABEL, "value": "true", "effect": "NoSchedule"}
TOLERATION = {"key": LABEL, "operator": "Equal", "value": "true", "effect": "NoSchedule"}


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def patch(pod: Mapping[str, Any], *, rules: Sequence[images.ImageRule]) -> list[dict[str, Any]]:
    """JSON Patch operations for a pod being created; empty when the pod stays with the kwok nodes."""
    spec = pod.get("spec") or {}
    if spec.get("nodeName") or not images.runs_locally(pod, rules=rules):
        return []
    ops: list[dict[str, Any]] = []
    tolerations = spec.get("tolerations")
    if tolerations is None:
        ops.append({"op": "add", "path": "/spec/tolerations", "value": [TOLERATION]})
    elif TOLERATION not in tolerations:
        ops.append({"op": "add", "path": "/spec/tolerations/-", "value": TOLERATION})
    selector = spec.get("nodeSelector")
    if selector is None:
        ops.append({"op": "add", "path": "/spec/nodeSelector", "value": {LABEL: "true"}})
    elif selector.get(LABEL) != "true":
        ops.append({"op": "add", "path": f"/spec/nodeSelector/{_escape(LABEL)}", "value": "true"})
    return ops


def review(body: Mapping[str, Any], *, rules: Sequence[images.ImageRule]) -> dict[str, Any]:
    """The AdmissionReview answer to an AdmissionReview request: always allowed, patched when the pod is ours."""
    request = body.get("request") or {}
    response: dict[str, Any] = {"uid": request.get("uid", ""), "allowed": True}
    obj = request.get("object") or {}
    if request.get("operation") == "CREATE" and obj.get("kind", "Pod") == "Pod":
        ops = patch(obj, rules=rules)
        if ops:
            response["patchType"] = "JSONPatch"
            response["patch"] = base64.b64encode(json.dumps(ops).encode()).decode()
    return {
        "apiVersion": body.get("apiVersion", "admission.k8s.io/v1"),
        "kind": "AdmissionReview",
        "response": response,
    }
