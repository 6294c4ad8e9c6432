"""Tests for modelplane.hooks.certifying through `modelplane hook certs|webhook-ready`, against the local API
server: the certificate Secret is created once and kept on the next run, and its CA is injected into every
webhook of a ValidatingWebhookConfiguration."""

from __future__ import annotations

import base64
import datetime
import pathlib
import uuid
from collections.abc import Iterator

import pytest
from kubernetes import client
from modelplane.cli import __main__ as cli
from modelplane.hooks import certificates, certifying, connecting

pytestmark = pytest.mark.cluster


@pytest.fixture
def configuration(cluster: connecting.Cluster, namespace: str) -> Iterator[str]:
    """A ValidatingWebhookConfiguration with two webhooks that select only the test's namespace."""
    name = f"hooktest-{uuid.uuid4().hex[:8]}"
    webhook = {
        "admissionReviewVersions": ["v1"],
        "sideEffects": "None",
        "failurePolicy": "Ignore",
        "clientConfig": {"url": "https://127.0.0.1:9/validate"},
        "namespaceSelector": {"matchLabels": {"modelplane-hook-test": namespace}},
        "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["configmaps"]}],
    }
    api = client.AdmissionregistrationV1Api(cluster.api)
    api.create_validating_webhook_configuration(
        {
            "metadata": {"name": name},
            "webhooks": [{**webhook, "name": f"a.{name}.dev"}, {**webhook, "name": f"b.{name}.dev"}],
        }
    )
    yield name
    api.delete_validating_webhook_configuration(name)


def test_certs_creates_the_secret_once(
    kube_cluster: pathlib.Path, cluster: connecting.Cluster, namespace: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "hook",
        "--kubeconfig",
        str(kube_cluster),
        "certs",
        "--namespace",
        namespace,
        "--secret",
        "wh-cert",
        "--service",
        "wh",
        "--validity-days",
        "90",
    ]
    assert cli.main(args) == 0
    first = certifying.read_secret(cluster, namespace=namespace, name="wh-cert")
    assert first is not None
    assert set(first) == {"ca.crt", "tls.crt", "tls.key"}
    secret = client.CoreV1Api(cluster.api).read_namespaced_secret("wh-cert", namespace)
    assert secret.type == "kubernetes.io/tls"
    assert cli.main(args) == 0
    assert certifying.read_secret(cluster, namespace=namespace, name="wh-cert") == first
    out = capsys.readouterr().out
    assert f"wrote a certificate for wh.{namespace}.svc valid 90 days" in out
    assert "holds a valid certificate; nothing to do" in out


def test_a_certificate_for_another_service_is_replaced(cluster: connecting.Cluster, namespace: str) -> None:
    logs: list[str] = []
    certifying.ensure_secret(cluster, namespace=namespace, name="c", service="old", days=90, log=logs.append)
    assert certifying.ensure_secret(cluster, namespace=namespace, name="c", service="new", days=90, log=logs.append)
    assert any("renewing" in line and "does not cover" in line for line in logs)


def test_inject_ca_sets_every_webhook(cluster: connecting.Cluster, namespace: str, configuration: str) -> None:
    bundle = certificates.issue(service="wh", namespace=namespace, days=2, now=datetime.datetime.now(datetime.UTC))
    assert certifying.inject_ca(cluster, configuration=configuration, ca_pem=bundle.ca_crt) == 2
    vwc = client.AdmissionregistrationV1Api(cluster.api).read_validating_webhook_configuration(configuration)
    for webhook in vwc.webhooks:
        assert base64.b64decode(webhook.client_config.ca_bundle).decode() == bundle.ca_crt
        assert webhook.client_config.url == "https://127.0.0.1:9/validate"
