"""Real servers on 127.0.0.1 for the storage initializer's tests, each started by a fixture and stopped after it.

- `web`: a threaded `http.server` serving in-memory files with ETags, counting requests, optionally demanding a header
  or answering a fixed status for a path; `secure_web` is the same over TLS with a self-signed certificate made here.
- `s3_server`: moto's S3 in server mode (`ThreadedMotoServer`).
- `gcs_server`: gcp-storage-emulator, in memory.
- `azurite`: Microsoft's Azurite blob emulator (node), installed by hack/install-azurite.sh; skipped only when node or
  npm is missing.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import hashlib
import http.server
import ipaddress
import os
import pathlib
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, *, what: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout_s} s")


@dataclasses.dataclass
class WebFile:
    body: bytes
    content_type: str = "application/octet-stream"
    etag: bool = True


class Web:
    """What the test web server serves, and what it saw."""

    def __init__(self) -> None:
        self.files: dict[str, WebFile] = {}
        self.statuses: dict[str, int] = {}
        self.head_statuses: dict[str, int] = {}
        self.required_header: tuple[str, str] | None = None
        self.delay_s = 0.0
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.url = ""

    def gets(self, path: str) -> int:
        with self.lock:
            return sum(1 for method, seen in self.requests if method == "GET" and seen == path)


def _handler(web: Web) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return

        def _answer(self, *, with_body: bool) -> None:
            with web.lock:
                web.requests.append((self.command, self.path))
            if web.required_header is not None:
                name, value = web.required_header
                if self.headers.get(name) != value:
                    self._status(401)
                    return
            if self.path in web.statuses:
                self._status(web.statuses[self.path])
                return
            if not with_body and self.path in web.head_statuses:
                self._status(web.head_statuses[self.path])
                return
            served = web.files.get(self.path)
            if web.delay_s:
                time.sleep(web.delay_s)
            if served is None:
                self._status(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", served.content_type)
            self.send_header("Content-Length", str(len(served.body)))
            if served.etag:
                self.send_header("ETag", f'"{hashlib.sha256(served.body).hexdigest()[:16]}"')
            self.end_headers()
            if with_body:
                self.wfile.write(served.body)

        def _status(self, code: int) -> None:
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            self._answer(with_body=True)

        def do_HEAD(self) -> None:
            self._answer(with_body=False)

    return Handler


def _serve(web: Web, *, tls: ssl.SSLContext | None) -> Iterator[Web]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(web))
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    port = server.server_address[1]
    web.url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield web
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def web() -> Iterator[Web]:
    yield from _serve(Web(), tls=None)


@dataclasses.dataclass
class Certificate:
    cert_file: pathlib.Path
    key_file: pathlib.Path


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1 (made with `cryptography`), trusted by pointing SSL_CERT_FILE at it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "modelplane test server")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Certificate(cert_file=cert_file, key_file=key_file)


@pytest.fixture
def secure_web(certificate: Certificate) -> Iterator[Web]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate.cert_file, certificate.key_file)
    yield from _serve(Web(), tls=context)


@dataclasses.dataclass
class S3Server:
    endpoint: str
    env: dict[str, str]


@pytest.fixture
def s3_server() -> Iterator[S3Server]:
    """moto's S3 in server mode on a free 127.0.0.1 port; `env` holds the KServe variables that reach it."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    # moto keeps its buckets in this process, across server instances: start every test from an empty store.
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10).close()
    try:
        env = {
            "AWS_ACCESS_KEY_ID": "modelplane-test",
            "AWS_SECRET_ACCESS_KEY": "modelplane-test-secret",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": endpoint,
        }
        yield S3Server(endpoint=endpoint, env=env)
    finally:
        server.stop()


@dataclasses.dataclass
class GcsServer:
    endpoint: str
    env: dict[str, str]


@pytest.fixture
def gcs_server() -> Iterator[GcsServer]:
    """gcp-storage-emulator, in memory, on a free 127.0.0.1 port."""
    from gcp_storage_emulator.server import create_server

    port = free_port()
    server = create_server("127.0.0.1", port, in_memory=True)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        yield GcsServer(endpoint=endpoint, env={"STORAGE_EMULATOR_HOST": endpoint})
    finally:
        server.stop()


@dataclasses.dataclass
class Azurite:
    account: str
    key: str
    endpoint: str

    def connection_string(self, *, key: str | None = None) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={self.account};AccountKey={key or self.key};"
            f"BlobEndpoint={self.endpoint};"
        )


@pytest.fixture(scope="session")
def azurite_launcher() -> pathlib.Path:
    """The azurite-blob launcher, installed (once, cached) by hack/install-azurite.sh."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed, so Azurite (the Azure blob emulator) cannot run here")
    result = subprocess.run(
        [str(ROOT / "hack" / "install-azurite.sh")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"hack/install-azurite.sh failed:\n{result.stderr}")
    return pathlib.Path(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def azurite(azurite_launcher: pathlib.Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    """Azurite's blob service on a free 127.0.0.1 port with a storage account and key made up for this run.

    One per test module (node takes seconds to start); each test works in a container of its own.
    """
    folder = tmp_path_factory.mktemp("azurite")
    port = free_port()
    account = "modelplanetest"
    key = base64.b64encode(secrets.token_bytes(64)).decode()
    env = {**os.environ, "AZURITE_ACCOUNTS": f"{account}:{key}"}
    log = open(folder / "azurite.log", "wb")  # noqa: SIM115 - closed after the process ends
    process = subprocess.Popen(
        [
            str(azurite_launcher),
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(port),
            "--location",
            str(folder / "data"),
            "--silent",
            "--skipApiVersionCheck",
            "--disableProductStyleUrl",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, what="Azurite")
        yield Azurite(account=account, key=key, endpoint=f"http://127.0.0.1:{port}/{account}")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=3)
        except subprocess.TimeoutExpired:  # it waits for idle keep-alive connections; nothing is left to save
            process.kill()
            process.wait(timeout=10)
        log.close()
