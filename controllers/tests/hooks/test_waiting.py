"""Tests for modelplane.hooks.waiting through `modelplane hook webhook-ready`, against the local API server and a
real HTTPS admission server on 127.0.0.1: a webhook that denies the probe is ready; one that allows it (it never
judged the probe) is not, and the hook times out saying the probe was admitted without a verdict; with
`failurePolicy: Ignore` and nobody listening the API server admits the probe, and the hook still times out instead
of reporting a false success; with `Fail` and nobody listening the hook times out naming the API server's answer;
a namespaceSelector that leaves out the probe's namespace fails at once, saying how to fix it; the probe is never
stored."""

from __future__ import annotations

import base64
import datetime
import http.server
import ipaddress
import json
import pathlib
import re
import socket
import ssl
import threading
import time
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
#: What the hook reports when it has not heard the webhook under test: the probe was admitted (nobody judged it),
#: or, where another release's webhook also judges InferenceServices in every namespace (a shared cluster), that
#: one's denial arrived first. Either way the hook must not report ready.
NOT_HEARD = r"the probe was admitted without a verdict|another webhook \(.+\) denied the probe"


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
    """Registers a ValidatingWebhookConfiguration for InferenceServices in the test namespace only (or in the
    namespaces `selector` picks)."""
    api = client.AdmissionregistrationV1Api(cluster.api)
    name = f"hooktest-{uuid.uuid4().hex[:8]}"

    def register(
        port: int, ca_pem: str, *, failure_policy: str = "Fail", selector: dict[str, object] | None = None
    ) -> str:
        api.create_validating_webhook_configuration(
            {
                "metadata": {"name": name},
                "webhooks": [
                    {
                        "name": f"isvc.{name}.dev",
                        "admissionReviewVersions": ["v1"],
                        "sideEffects": "None",
                        "failurePolicy": failure_policy,
                        "timeoutSeconds": 2,
                        "clientConfig": {
                            "url": f"https://127.0.0.1:{port}/validate",
                            "caBundle": base64.b64encode(ca_pem.encode()).decode(),
                        },
                        "namespaceSelector": selector or {"matchLabels": {"modelplane-hook-test": namespace}},
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


def run_hook(kube_cluster: pathlib.Path, namespace: str, configuration: str, *, timeout: float) -> int:
    return cli.main(
        [
            "hook",
            "--kubeconfig",
            str(kube_cluster),
            "webhook-ready",
            "--namespace",
            namespace,
            "--webhook-configuration",
            configuration,
            "--timeout",
            str(timeout),
            "--interval",
            "0.5",
        ]
    )


def test_a_webhook_that_denies_the_probe_is_ready(
    kube_cluster: pathlib.Path,
    namespace: str,
    webhook: object,
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for port, pem in admission_server(tmp_path, allow=False):
        config = webhook(port, pem)  # type: ignore[operator]
        assert run_hook(kube_cluster, namespace, config, timeout=30) == 0
    out = capsys.readouterr().out
    assert f"the webhook answers (webhook isvc.{config}.dev denied the probe" in out
    assert "refused by the test webhook" in out


def test_a_webhook_that_allows_the_probe_never_counts_as_ready(
    kube_cluster: pathlib.Path,
    namespace: str,
    webhook: object,
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for port, pem in admission_server(tmp_path, allow=True):
        config = webhook(port, pem)  # type: ignore[operator]
        assert run_hook(kube_cluster, namespace, config, timeout=3) == 1
    captured = capsys.readouterr()
    assert re.search(NOT_HEARD, captured.out + captured.err), captured


def test_an_unreachable_webhook_that_fails_open_is_not_ready(
    cluster: connecting.Cluster, namespace: str, webhook: object, tmp_path: pathlib.Path
) -> None:
    """failurePolicy Ignore: the API server admits the probe though nobody answers; that must not pass."""
    _, _, pem = self_signed(tmp_path)
    config = webhook(free_port(), pem, failure_policy="Ignore")  # type: ignore[operator]
    lines: list[str] = []
    with pytest.raises(errors.HookError, match=rf"did not answer within 3 s; last answer: ({NOT_HEARD})"):
        waiting.wait(cluster, namespace=namespace, configuration=config, timeout=3, interval=0.5, log=lines.append)
    assert lines
    assert all(re.search(NOT_HEARD, line) for line in lines), lines


def test_a_webhook_nobody_serves_times_out(
    cluster: connecting.Cluster, namespace: str, webhook: object, tmp_path: pathlib.Path
) -> None:
    _, _, pem = self_signed(tmp_path)
    config = webhook(free_port(), pem)  # type: ignore[operator]
    lines: list[str] = []
    with pytest.raises(errors.HookError, match=r"did not answer within 3 s; last answer: .*failed calling webhook"):
        waiting.wait(cluster, namespace=namespace, configuration=config, timeout=3, interval=0.5, log=lines.append)
    assert lines
    assert lines[0].startswith("waiting for the webhook:")


def test_a_selector_that_leaves_out_the_namespace_fails_at_once(
    cluster: connecting.Cluster, namespace: str, webhook: object, tmp_path: pathlib.Path
) -> None:
    _, _, pem = self_signed(tmp_path)
    config = webhook(free_port(), pem, selector={"matchLabels": {"modelplane-hook-test": "elsewhere"}})  # type: ignore[operator]
    started = time.monotonic()
    with pytest.raises(errors.HookError, match=rf"leaves out namespace {namespace} .*label the namespace"):
        waiting.wait(cluster, namespace=namespace, configuration=config, timeout=60, interval=0.5, log=print)
    assert time.monotonic() - started < 10


def test_the_probe_is_never_stored(
    cluster: connecting.Cluster, namespace: str, webhook: object, tmp_path: pathlib.Path
) -> None:
    for port, pem in admission_server(tmp_path, allow=False):
        config = webhook(port, pem)  # type: ignore[operator]
        waiting.wait(cluster, namespace=namespace, configuration=config, timeout=30, interval=0.5, log=print)
    items = client.CustomObjectsApi(cluster.api).list_namespaced_custom_object(
        "serving.kserve.io", "v1beta1", namespace, "inferenceservices"
    )["items"]
    assert items == []
