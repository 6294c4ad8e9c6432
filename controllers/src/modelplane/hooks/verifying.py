"""`helm test`: create a tiny InferenceService, wait until it reports Ready, delete it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, cast

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from modelplane.hooks import connecting, errors

GROUP, VERSION, PLURAL = "serving.kserve.io", "v1beta1", "inferenceservices"


def ready_condition(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The `Ready` condition of an InferenceService's status, if any."""
    for condition in obj.get("status", {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return dict(condition)
    return None


def run(
    cluster: connecting.Cluster,
    *,
    namespace: str,
    name: str,
    model_format: str,
    storage_uri: str,
    timeout: float,
    log: Callable[[str], None],
) -> None:
    """The end-to-end check; raises HookError naming the last status seen when it does not turn Ready."""
    api = client.CustomObjectsApi(cluster.api)
    body = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "InferenceService",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "predictor": {"minReplicas": 1, "model": {"modelFormat": {"name": model_format}, "storageUri": storage_uri}}
        },
    }
    try:
        api.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, body)
    except ApiException as exc:
        raise errors.HookError(f"creating InferenceService {namespace}/{name} failed: {exc.status} {exc.body}") from exc
    log(f"created InferenceService {namespace}/{name}")
    try:
        deadline = time.monotonic() + timeout
        condition: dict[str, Any] | None = None
        while time.monotonic() < deadline:
            obj = cast(dict[str, Any], api.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name))
            condition = ready_condition(obj)
            if condition and condition.get("status") == "True":
                log(f"InferenceService {namespace}/{name} is Ready at {obj.get('status', {}).get('url')}")
                return
            time.sleep(2)
        raise errors.HookError(
            f"InferenceService {namespace}/{name} not Ready after {timeout:.0f} s; last Ready condition: {condition}"
        )
    finally:
        api.delete_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name)
