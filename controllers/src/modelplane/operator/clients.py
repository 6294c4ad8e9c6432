"""A small, typed door to the API server over the `kubernetes` client: get, list, server-side apply, patch, delete.

Objects stay plain dicts (as the pure reconcilers want them) instead of the client's generated model classes, and
paths come from (apiVersion, kind) through a table of the kinds the operator touches, so no discovery round-trip
is needed at start-up.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from collections.abc import Mapping
from typing import Any

import kubernetes
import urllib3

FIELD_MANAGER = "modelplane"

PLURALS: dict[tuple[str, str], str] = {
    ("v1", "Service"): "services",
    ("v1", "ServiceAccount"): "serviceaccounts",
    ("v1", "Secret"): "secrets",
    ("v1", "ConfigMap"): "configmaps",
    ("v1", "Event"): "events",
    ("coordination.k8s.io/v1", "Lease"): "leases",
    ("discovery.k8s.io/v1", "EndpointSlice"): "endpointslices",
    ("apps/v1", "Deployment"): "deployments",
    ("autoscaling/v2", "HorizontalPodAutoscaler"): "horizontalpodautoscalers",
    ("networking.k8s.io/v1", "Ingress"): "ingresses",
    ("gateway.networking.k8s.io/v1", "HTTPRoute"): "httproutes",
    ("networking.istio.io/v1beta1", "VirtualService"): "virtualservices",
    ("serving.knative.dev/v1", "Service"): "services",
    ("serving.kserve.io/v1beta1", "InferenceService"): "inferenceservices",
    ("serving.kserve.io/v1alpha1", "ServingRuntime"): "servingruntimes",
    ("serving.kserve.io/v1alpha1", "ClusterServingRuntime"): "clusterservingruntimes",
    ("serving.kserve.io/v1alpha1", "TrainedModel"): "trainedmodels",
    ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"): "validatingwebhookconfigurations",
}


class ApiError(Exception):
    """The API server refused a request; `status` is the HTTP status (0 when it could not be reached)."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status

    @property
    def retryable(self) -> bool:
        """Conflicts, throttling and server-side failures are worth another try; bad requests are not."""
        return self.status in (0, 409, 429) or self.status >= 500


def path(*, api_version: str, kind: str, namespace: str | None, name: str | None = None) -> str:
    """The REST path of a collection (name None) or of one object."""
    try:
        plural = PLURALS[(api_version, kind)]
    except KeyError:
        raise ApiError(f"the operator does not know the REST path of {kind} in {api_version}", status=400) from None
    prefix = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
    where = f"/namespaces/{namespace}" if namespace else ""
    return f"{prefix}{where}/{plural}" + (f"/{name}" if name else "")


def manifest_path(manifest: Mapping[str, Any]) -> str:
    """The REST path of a manifest's object."""
    return path(
        api_version=str(manifest["apiVersion"]),
        kind=str(manifest["kind"]),
        namespace=manifest["metadata"].get("namespace"),
        name=str(manifest["metadata"]["name"]),
    )


class Cluster:
    """The operator's API server connection (one pooled client, shared by the handler threads)."""

    def __init__(self, api: kubernetes.client.ApiClient) -> None:
        self._api = api

    @classmethod
    def connect(cls, *, pool_size: int = 32) -> Cluster:
        """Connect with the in-cluster ServiceAccount, or else the current context of $KUBECONFIG (read now, not
        when the client library was imported) or ~/.kube/config."""
        configuration = kubernetes.client.Configuration()
        try:
            kubernetes.config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call,unused-ignore]
        except kubernetes.config.ConfigException:
            _load_kubeconfig(configuration)
        configuration.connection_pool_maxsize = pool_size
        return cls(kubernetes.client.ApiClient(configuration))

    def request(
        self,
        method: str,
        resource_path: str,
        *,
        body: Any = None,
        query: list[tuple[str, str]] | None = None,
        content_type: str = "application/json",
        accept: str = "application/json",
    ) -> dict[str, Any] | None:
        """One API call; the decoded JSON answer, None for 404 on GET and DELETE, ApiError for other failures.

        It goes through the client's connection pool (TLS, client certificates) with the client's auth headers
        (refreshed tokens included), not its generated API layer, whose calling convention differs between
        client releases."""
        configuration = self._api.configuration
        url = configuration.host + resource_path + (f"?{urllib.parse.urlencode(query)}" if query else "")
        headers = {"Content-Type": content_type, "Accept": accept}
        for auth in configuration.auth_settings().values():
            if auth.get("in") == "header" and auth.get("value"):
                headers[str(auth["key"])] = str(auth["value"])
        data = json.dumps(body).encode() if body is not None else None
        try:
            response = self._api.rest_client.pool_manager.request(method, url, body=data, headers=headers, timeout=30.0)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise ApiError(f"{method} {resource_path}: {exc}", status=0) from exc
        if response.status == 404 and method in ("GET", "DELETE"):
            return None
        text = response.data.decode("utf-8") if response.data else ""
        if not 200 <= response.status <= 299:
            raise ApiError(f"{method} {resource_path}: HTTP {response.status}: {_reason(text)}", status=response.status)
        return json.loads(text) if text else {}

    def get(self, resource_path: str) -> dict[str, Any] | None:
        """An object, or None when it does not exist."""
        return self.request("GET", resource_path)

    def list(self, resource_path: str, *, label_selector: str | None = None) -> list[dict[str, Any]]:
        """The items of a collection (kind and apiVersion filled in, which list answers leave out)."""
        query = [("labelSelector", label_selector)] if label_selector else None
        answer = self.request("GET", resource_path, query=query) or {}
        kind = str(answer.get("kind", "")).removesuffix("List")
        items = answer.get("items") or []
        for item in items:
            item.setdefault("kind", kind)
            item.setdefault("apiVersion", answer.get("apiVersion"))
        return list(items)

    def apply(self, manifest: Mapping[str, Any]) -> dict[str, Any]:
        """Server-side apply with the one field manager, taking ownership of conflicting fields."""
        answer = self.request(
            "PATCH",
            manifest_path(manifest),
            body=dict(manifest),
            query=[("fieldManager", FIELD_MANAGER), ("force", "true")],
            content_type="application/apply-patch+yaml",
        )
        return answer or {}

    def patch_status(self, manifest: Mapping[str, Any], status: Mapping[str, Any]) -> dict[str, Any]:
        """Replace the status fields the reconciler owns (a JSON merge patch on the status subresource)."""
        answer = self.request(
            "PATCH",
            manifest_path(manifest) + "/status",
            body={"status": dict(status)},
            query=[("fieldManager", FIELD_MANAGER)],
            content_type="application/merge-patch+json",
        )
        return answer or {}

    def delete(self, resource_path: str) -> None:
        """Delete an object in the background (its dependents go with it); gone already is fine."""
        self.request("DELETE", resource_path, body={"propagationPolicy": "Background"})


def _load_kubeconfig(configuration: kubernetes.client.Configuration) -> None:
    path = os.environ.get("KUBECONFIG") or None
    try:
        kubernetes.config.load_kube_config(config_file=path, client_configuration=configuration)  # type: ignore[no-untyped-call,unused-ignore]
    except (kubernetes.config.ConfigException, OSError) as exc:
        where = f"KUBECONFIG={path}" if path else "~/.kube/config (KUBECONFIG is unset)"
        raise ApiError(
            f"no usable kubeconfig at {where}: {exc}; for the local cluster run: export KUBECONFIG=$(make kubeconfig)",
            status=0,
        ) from exc


def _reason(text: str) -> str:
    try:
        return str(json.loads(text).get("message", text))
    except (ValueError, AttributeError):
        return text[:500]
