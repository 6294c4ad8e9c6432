"""The self-signed webhook certificate against the cluster: keep its Secret current, inject its CA.

Used when cert-manager is off. `ensure_secret` runs before install and upgrade and replaces the pair only when
`certificates.renewal_reason` says so; `inject_ca` writes the CA into every webhook of the configuration after
the configuration exists.
"""

from __future__ import annotations

import base64
import datetime
from collections.abc import Callable

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from modelplane.hooks import certificates, connecting, errors


def read_secret(cluster: connecting.Cluster, *, namespace: str, name: str) -> dict[str, str] | None:
    """The decoded data of a Secret, or None when there is none."""
    try:
        secret = client.CoreV1Api(cluster.api).read_namespaced_secret(name, namespace)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise errors.HookError(f"cannot read Secret {namespace}/{name}: {exc.status} {exc.reason}") from exc
    return {k: base64.b64decode(v).decode() for k, v in (secret.data or {}).items()}


def ensure_secret(
    cluster: connecting.Cluster, *, namespace: str, name: str, service: str, days: int, log: Callable[[str], None]
) -> bool:
    """Make or renew the webhook's certificate Secret when needed; True when a new pair was written."""
    now = datetime.datetime.now(datetime.UTC)
    current = read_secret(cluster, namespace=namespace, name=name)
    if current is not None:
        reason = certificates.renewal_reason(data=current, service=service, namespace=namespace, now=now)
        if reason is None:
            log(f"Secret {namespace}/{name} holds a valid certificate; nothing to do")
            return False
        log(f"renewing Secret {namespace}/{name}: {reason}")
    bundle = certificates.issue(service=service, namespace=namespace, days=days, now=now)
    cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": namespace, "labels": {"app.kubernetes.io/part-of": "modelplane"}},
            "type": "kubernetes.io/tls",
            "stringData": bundle.secret_data(),
        }
    )
    log(f"wrote a certificate for {service}.{namespace}.svc valid {days} days to Secret {namespace}/{name}")
    return True


def inject_ca(cluster: connecting.Cluster, *, configuration: str, ca_pem: str) -> int:
    """Set the CA bundle of every webhook in a ValidatingWebhookConfiguration; returns how many were set."""
    api = client.AdmissionregistrationV1Api(cluster.api)
    try:
        vwc = api.read_validating_webhook_configuration(configuration)
    except ApiException as exc:
        raise errors.HookError(
            f"cannot read ValidatingWebhookConfiguration {configuration}: {exc.status} {exc.reason}"
        ) from exc
    bundle = base64.b64encode(ca_pem.encode()).decode()
    patch = {"webhooks": [{"name": w.name, "clientConfig": {"caBundle": bundle}} for w in vwc.webhooks or []]}
    api.patch_validating_webhook_configuration(configuration, patch)
    return len(patch["webhooks"])
