"""Tests for modelplane.hooks.certificates: the issued pair chains to its CA and names the Service, and the
renewal rules (fresh pair kept; near expiry, wrong names, missing keys, unreadable PEM replaced)."""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from modelplane.hooks import certificates

NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def test_issued_certificate_is_signed_by_the_ca_and_names_the_service() -> None:
    bundle = certificates.issue(service="mp-webhook", namespace="ns", days=365, now=NOW)
    ca = x509.load_pem_x509_certificate(bundle.ca_crt.encode())
    cert = x509.load_pem_x509_certificate(bundle.tls_crt.encode())
    cert.verify_directly_issued_by(ca)
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    assert sans == ["mp-webhook", "mp-webhook.ns", "mp-webhook.ns.svc", "mp-webhook.ns.svc.cluster.local"]
    assert cert.not_valid_after_utc == NOW + datetime.timedelta(days=365)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert "PRIVATE KEY" in bundle.tls_key
    assert set(bundle.secret_data()) == {"ca.crt", "tls.crt", "tls.key"}


def test_issue_refuses_a_validity_under_a_day() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        certificates.issue(service="s", namespace="n", days=0, now=NOW)


def test_a_fresh_pair_needs_no_renewal() -> None:
    data = certificates.issue(service="s", namespace="n", days=365, now=NOW).secret_data()
    assert certificates.renewal_reason(data=data, service="s", namespace="n", now=NOW) is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        pytest.param({"later": 340}, "within 30 days", id="near-expiry"),
        pytest.param({"service": "other"}, "does not cover", id="other-service"),
        pytest.param({"drop": "tls.key"}, "lacks tls.key", id="missing-key"),
        pytest.param({"garbage": "tls.crt"}, "cannot be read", id="garbage"),
    ],
)
def test_renewal_reasons(change: dict[str, object], reason: str) -> None:
    data = certificates.issue(service="s", namespace="n", days=365, now=NOW).secret_data()
    now = NOW + datetime.timedelta(days=int(change.get("later", 0)))  # type: ignore[call-overload]
    if "drop" in change:
        del data[str(change["drop"])]
    if "garbage" in change:
        data[str(change["garbage"])] = "-----BEGIN CERTIFICATE-----\nbm9wZQ==\n-----END CERTIFICATE-----\n"
    service = str(change.get("service", "s"))
    found = certificates.renewal_reason(data=data, service=service, namespace="n", now=now)
    assert found is not None
    assert reason in found


def test_keys_are_ecdsa_p256() -> None:
    bundle = certificates.issue(service="s", namespace="n", days=2, now=NOW)
    key = x509.load_pem_x509_certificate(bundle.tls_crt.encode()).public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert key.curve.name == "secp256r1"
