"""Tests of REST path building for the kinds the operator touches, and the error for a kind it does not know."""

from __future__ import annotations

import pytest
from modelplane.operator import clients


@pytest.mark.parametrize(
    ("api_version", "kind", "namespace", "name", "path"),
    [
        ("v1", "Service", "m", "s", "/api/v1/namespaces/m/services/s"),
        ("serving.knative.dev/v1", "Service", "m", "s", "/apis/serving.knative.dev/v1/namespaces/m/services/s"),
        ("apps/v1", "Deployment", "m", None, "/apis/apps/v1/namespaces/m/deployments"),
        (
            "admissionregistration.k8s.io/v1",
            "ValidatingWebhookConfiguration",
            None,
            "w",
            "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/w",
        ),
    ],
    ids=["core-service", "knative-service", "collection", "cluster-scoped"],
)
def test_path(api_version: str, kind: str, namespace: str | None, name: str | None, path: str) -> None:
    assert clients.path(api_version=api_version, kind=kind, namespace=namespace, name=name) == path


def test_unknown_kind_is_a_clear_error() -> None:
    with pytest.raises(clients.ApiError, match=r"does not know the REST path of Widget in example\.com/v1"):
        clients.path(api_version="example.com/v1", kind="Widget", namespace="m")


@pytest.mark.parametrize(
    ("status", "retryable"), [(0, True), (409, True), (429, True), (503, True), (400, False), (403, False)]
)
def test_which_failures_are_retried(status: int, retryable: bool) -> None:
    assert clients.ApiError("x", status=status).retryable is retryable
