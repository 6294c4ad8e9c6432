"""The admission webhook that sends Modelplane's pods to the process node, served over HTTPS on 127.0.0.1.

The API server calls it by URL (a MutatingWebhookConfiguration with `clientConfig.url`), so no Service is needed.
The serving certificate is self-signed for 127.0.0.1 and made at start; its certificate is the webhook's
`caBundle`. The failure policy is Ignore: with the agent stopped, pods still get created (and go to kwok nodes).
"""

from __future__ import annotations

import base64
import datetime
import http.server
import ipaddress
import json
import logging
import pathlib
import ssl
import threading
from collections.abc import Sequence
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from kubernetes import client
from modelplane.devcluster import admission, images, kubeio

log = logging.getLogger(__name__)
CONFIGURATION = "modelplane-process-node"
PATH = "/mutate"


def make_certificate(directory: pathlib.Path, *, host: str) -> tuple[pathlib.Path, pathlib.Path]:
    """A self-signed serving certificate for `host` (an IP address); returns (cert, key) paths."""
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "modelplane-process-node-webhook")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "webhook.crt", directory / "webhook.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def configuration(*, url: str, ca_pem: bytes) -> dict[str, Any]:
    """The MutatingWebhookConfiguration that points the API server at the agent's webhook."""
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": CONFIGURATION, "labels": {"app.kubernetes.io/part-of": "modelplane-dev"}},
        "webhooks": [
            {
                "name": "process-node.modelplane.dev",
                "clientConfig": {"url": url, "caBundle": base64.b64encode(ca_pem).decode()},
                "rules": [
                    {
                        "operations": ["CREATE"],
                        "apiGroups": [""],
                        "apiVersions": ["v1"],
                        "resources": ["pods"],
                        "scope": "Namespaced",
                    }
                ],
                "namespaceSelector": {
                    "matchExpressions": [
                        {
                            "key": "kubernetes.io/metadata.name",
                            "operator": "NotIn",
                            "values": ["kube-system", "kube-node-lease"],
                        }
                    ]
                },
                "admissionReviewVersions": ["v1"],
                "sideEffects": "None",
                "failurePolicy": "Ignore",
                "timeoutSeconds": 5,
            }
        ],
    }


def register(api: client.ApiClient, *, body: Any) -> None:
    """Create or replace the webhook configuration."""
    admission_api = client.AdmissionregistrationV1Api(api)
    try:
        current = kubeio.raw(admission_api.read_mutating_webhook_configuration(CONFIGURATION, _preload_content=False))
    except client.ApiException as exc:
        if exc.status != 404:
            raise
        admission_api.create_mutating_webhook_configuration(body, _preload_content=False)
        return
    body = {**body, "metadata": {**body["metadata"], "resourceVersion": current["metadata"]["resourceVersion"]}}
    admission_api.replace_mutating_webhook_configuration(CONFIGURATION, body, _preload_content=False)


def unregister(api: client.ApiClient) -> None:
    """Remove the webhook configuration (pods created afterwards stay with the kwok nodes)."""
    try:
        client.AdmissionregistrationV1Api(api).delete_mutating_webhook_configuration(
            CONFIGURATION, _preload_content=False
        )
    except client.ApiException as exc:
        if exc.status != 404:
            raise


class _Handler(http.server.BaseHTTPRequestHandler):
    rules: Sequence[images.ImageRule] = images.DEFAULT_RULES

    def do_POST(self) -> None:
        if self.path.split("?", 1)[0] != PATH:
            self.send_error(404, f"the webhook answers on {PATH} only")
            return
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length))
            answer = admission.review(body, rules=self.rules)
        except (ValueError, AttributeError) as exc:
            self.send_error(400, f"not an AdmissionReview: {exc}")
            return
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("webhook: " + format, *args)


def serve(
    *, host: str, port: int, cert: pathlib.Path, key: pathlib.Path, rules: Sequence[images.ImageRule]
) -> http.server.ThreadingHTTPServer:
    """Start the webhook server in a background thread; `shutdown()` on the result stops it."""
    handler = type("Handler", (_Handler,), {"rules": tuple(rules)})
    server = http.server.ThreadingHTTPServer((host, port), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, name="webhook", daemon=True).start()
    return server
