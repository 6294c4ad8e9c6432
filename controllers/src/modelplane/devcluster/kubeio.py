"""The few API calls the process node and the local ingress make, returning plain dicts as the API server sends.

The kubernetes client's generated models are skipped (`_preload_content=False`), so the pure modules see the
same JSON-like dicts as everywhere else in Modelplane.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import urllib3
from kubernetes import client, config

# What a call raises when the API server cannot be reached (refused, timed out, retries used up).
UNREACHABLE = (OSError, urllib3.exceptions.HTTPError)


def connect(kubeconfig: str | None) -> client.ApiClient:
    """An API client for the given kubeconfig (or the default one)."""
    api: client.ApiClient = config.new_client_from_config(config_file=kubeconfig)
    return api


def server(api: client.ApiClient) -> tuple[str, int]:
    """The API server's host and port, as the kubeconfig names them."""
    host = api.configuration.host.split("://", 1)[-1].rstrip("/")
    name, _, port = host.rpartition(":")
    return (name or host).strip("[]"), int(port or 443)


def raw(response: Any) -> dict[str, Any]:
    """The JSON body of a call made with `_preload_content=False`."""
    data: dict[str, Any] = json.loads(response.data)
    return data


def is_missing(exc: BaseException) -> bool:
    """True for an API error that means 'not found'."""
    return isinstance(exc, client.ApiException) and exc.status == 404


def read_configmap(api: client.ApiClient, *, namespace: str, name: str) -> dict[str, bytes] | None:
    """A ConfigMap's data and binaryData as bytes, or None when it does not exist."""
    try:
        obj = raw(client.CoreV1Api(api).read_namespaced_config_map(name, namespace, _preload_content=False))
    except client.ApiException as exc:
        if exc.status == 404:
            return None
        raise
    data = {key: value.encode() for key, value in (obj.get("data") or {}).items()}
    data.update({key: base64.b64decode(value) for key, value in (obj.get("binaryData") or {}).items()})
    return data


def read_secret(api: client.ApiClient, *, namespace: str, name: str) -> dict[str, bytes] | None:
    """A Secret's data as bytes, or None when it does not exist."""
    try:
        obj = raw(client.CoreV1Api(api).read_namespaced_secret(name, namespace, _preload_content=False))
    except client.ApiException as exc:
        if exc.status == 404:
            return None
        raise
    data = {key: base64.b64decode(value) for key, value in (obj.get("data") or {}).items()}
    data.update({key: value.encode() for key, value in (obj.get("stringData") or {}).items()})
    return data


def request_token(
    api: client.ApiClient, *, namespace: str, service_account: str, pod: str, pod_uid: str, audience: str, seconds: int
) -> str:
    """A ServiceAccount token bound to the pod, from the TokenRequest API."""
    body: Any = {
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "TokenRequest",
        "spec": {
            "expirationSeconds": seconds,
            "boundObjectRef": {"apiVersion": "v1", "kind": "Pod", "name": pod, "uid": pod_uid},
        },
    }
    if audience:
        body["spec"]["audiences"] = [audience]
    response = client.CoreV1Api(api).create_namespaced_service_account_token(
        service_account, namespace, body, _preload_content=False
    )
    return str(raw(response)["status"]["token"])


def patch_pod_status(api: client.ApiClient, *, namespace: str, name: str, status: dict[str, Any]) -> None:
    """Strategic-merge the pod's status through the `pods/status` subresource."""
    client.CoreV1Api(api).patch_namespaced_pod_status(name, namespace, {"status": status}, _preload_content=False)


def delete_pod_now(api: client.ApiClient, *, namespace: str, name: str, uid: str) -> None:
    """Remove a pod whose processes have stopped (grace 0, only if it is still the same pod)."""
    body: Any = {"gracePeriodSeconds": 0, "preconditions": {"uid": uid}}
    try:
        client.CoreV1Api(api).delete_namespaced_pod(name, namespace, body=body, _preload_content=False)
    except client.ApiException as exc:
        if exc.status not in (404, 409):
            raise
