"""The webhook's self-signed CA and serving certificate, for clusters without cert-manager: pure, no cluster access.

A fresh CA signs one serving certificate whose names are the webhook Service's DNS names. `renewal_reason` says
when a stored pair must be replaced (too close to expiry, wrong names, unreadable), so re-running the hook on every
upgrade is safe and cheap.
"""

from __future__ import annotations

import dataclasses
import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

RENEW_WITHIN = datetime.timedelta(days=30)


@dataclasses.dataclass(frozen=True)
class Bundle:
    """PEM texts as a `kubernetes.io/tls` Secret stores them (`ca.crt`, `tls.crt`, `tls.key`)."""

    ca_crt: str
    tls_crt: str
    tls_key: str

    def secret_data(self) -> dict[str, str]:
        return {"ca.crt": self.ca_crt, "tls.crt": self.tls_crt, "tls.key": self.tls_key}


def dns_names(*, service: str, namespace: str) -> list[str]:
    """Every name the API server may use to reach a Service."""
    return [service, f"{service}.{namespace}", f"{service}.{namespace}.svc", f"{service}.{namespace}.svc.cluster.local"]


def issue(*, service: str, namespace: str, days: int, now: datetime.datetime) -> Bundle:
    """A new CA and a serving certificate for the Service, both valid from `now` for `days` days."""
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    names = dns_names(service=service, namespace=namespace)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=days)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"modelplane-webhook-ca.{namespace}")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[2])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return Bundle(
        ca_crt=ca.public_bytes(serialization.Encoding.PEM).decode(),
        tls_crt=cert.public_bytes(serialization.Encoding.PEM).decode(),
        tls_key=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
    )


def renewal_reason(*, data: dict[str, str], service: str, namespace: str, now: datetime.datetime) -> str | None:
    """Why the stored PEM texts must be replaced, or None when they are good for at least `RENEW_WITHIN`."""
    missing = [k for k in ("ca.crt", "tls.crt", "tls.key") if not data.get(k)]
    if missing:
        return f"the Secret lacks {', '.join(missing)}"
    try:
        cert = x509.load_pem_x509_certificate(data["tls.crt"].encode())
        x509.load_pem_x509_certificate(data["ca.crt"].encode())
    except ValueError as exc:
        return f"the stored certificate cannot be read ({exc})"
    if cert.not_valid_after_utc - now < RENEW_WITHIN:
        return f"the certificate expires {cert.not_valid_after_utc:%Y-%m-%d}, within {RENEW_WITHIN.days} days"
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return "the certificate names no DNS names"
    wanted = set(dns_names(service=service, namespace=namespace))
    if not wanted <= set(sans.get_values_for_type(x509.DNSName)):
        return f"the certificate does not cover {', '.join(sorted(wanted))}"
    return None
