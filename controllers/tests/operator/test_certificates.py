"""Tests of the self-signed webhook certificate: it names 127.0.0.1, its key is private, and TLS accepts the pair."""

from __future__ import annotations

import ipaddress
import pathlib
import ssl

from cryptography import x509
from modelplane.operator import certificates


def test_self_signed_pair_serves_tls_for_loopback(tmp_path: pathlib.Path) -> None:
    cert_path, key_path = certificates.self_signed(tmp_path / "certs")
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("127.0.0.1") in sans.get_values_for_type(x509.IPAddress)
    assert key_path.stat().st_mode & 0o077 == 0
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
