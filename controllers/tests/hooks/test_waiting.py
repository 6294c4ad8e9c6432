"""Tests for modelplane.hooks.waiting through `modelplane hook webhook-ready`, against the local API server and a
real HTTPS admission server on 127.0.0.1: an allowing webhook and a denying one both count as serving; a webhook
nobody listens for makes the hook fail after its timeout, naming the API server's last answer."""

from __future__ import annotations

import base64
import datetime
import http.server
import ipaddress
import json
import pathlib
import socket
import ssl
import threading
import uuid
from collections.abc import Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from kubernetes import client
from modelplane.cli import __main__ as cli
from modelplane.hooks import connecting, errors, waiting

pytestmark = pytest.mark.cluster


def self_signed(tmp_path: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path, str]:
    """A certificate for 127.0.0.1 (the API server checks the IP), its key, and the PEM as the CA bundle."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    (tmp_path / "tls.crt").write_text(pem)
    (tmp_path / "tls.key").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return tmp_path / "tls.crt", tmp_path / "tls.key", pem


def admission_server(tmp_path: pathlib.Path, *, allow: bool) -> Iterator[tuple[int, str]]:
    """An HTTPS AdmissionReview server on 127.0.0.1 that allows or denies everything."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            review = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            response = {"uid": review["request"]["uid"], "allowed": allow}
            if not allow:
                response["status"] = {"code": 400, "message": "spec.predictor: refused by the test webhook"}
            body = json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args: object) -> None:
            pass

    crt, key, pem = self_signed(tmp_path)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(crt, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], pem
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def webhook(cluster: connecting.Cluster, namespace: str) -> Iterator[object]:
    """Registers a ValidatingWebhookConfiguration for InferenceServices in the test namespace only."""
    api = client.AdmissionregistrationV1Api(cluster.api)
    name = f"hooktest-{uuid.uuid4().hex[:8]}"

    def register(port: int, ca_pem: str) -> str:
        api.create_validating_webhook_configuration(
            {
                "metadata": {"name": name},
                "webhooks": [
                    {
                        "name": f"isvc.{name}.dev",
                        "admissionReviewVersions": ["v1"],
                        "sideEffects": "None",
                        "failurePolicy": "Fail",
                        "timeoutSeconds": 2,
                        "clientConfig": {
                            "url": f"https://127.0.0.1:{port}/validate",
                            "caBundle": base64.b64encode(ca_pem.encode()).decode(),
                        },
                        "namespaceSelector": {"matchLabels": {"modelplane-hook-test": namespace}},
                        "rules": [
                            {
                                "apiGroups": ["serving.kserve.io"],
                                "apiVersions": ["*"],
                                "operations": ["CREATE"],
                                "resources": ["inferenceservices"],
                            }
                        ],
                    }
                ],
            }
        )
        return name

    yield register
    try:
        api.delete_validating_webhook_configuration(name)
    except client.ApiException as exc:
        if exc.status != 404:
            raise


@pytest.mark.parametrize("allow", [True, False], ids=["allowing", "denying"])
def test_a_webhook_that_answers_is_ready(
    kube_cluster: pathlib.Path,
    namespace: str,
    webhook: object,
    tmp_path: pathlib.Path,
    allow: bool,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for port, pem in admission_server(tmp_path, allow=allow):
        config = webhook(port, pem)  # type: ignore[operator]
        status = cli.main(
            [
                "hook",
                "--kubeconfig",
                str(kube_cluster),
                "webhook-ready",
                "--namespace",
                namespace,
                "--webhook-configuration",
                config,
                "--timeout",
                "30",
                "--interval",
                "0.5",
            ]
        )
        assert status == 0
    out = capsys.readouterr().out
    assert "the webhook answers" in out
    if not allow:
        assert "refused by the test webhook" in out


def test_a_webhook_nobody_serves_times_out(
    cluster: connecting.Cluster, namespace: str, webhook: object, tmp_path: pathlib.Path
) -> None:
    _, _, pem = self_signed(tmp_path)
    webhook(free_port(), pem)  # type: ignore[operator]
    lines: list[str] = []
    with pytest.raises(errors.HookError, match=r"did not answer within 3 s; last answer: .*failed calling webhook"):
        waiting.wait(cluster, namespace=namespace, timeout=3, interval=0.5, log=lines.append)
    assert lines
    assert lines[0].startswith("waiting for the webhook:")


def test_the_probe_is_never_stored(cluster: connecting.Cluster, namespace: str) -> None:
    outcome, _ = waiting.probe_once(cluster, namespace=namespace)
    assert outcome.value == "served"
    items = client.CustomObjectsApi(cluster.api).list_namespaced_custom_object(
        "serving.kserve.io", "v1beta1", namespace, "inferenceservices"
    )["items"]
    assert items == []
