"""Storage credentials for the storage initializer, taken from the Secrets a ServiceAccount lists, as KServe does.

S3: a Secret with `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` becomes those variables; its annotations
`serving.kserve.io/s3-endpoint`, `s3-usehttps`, `s3-region` and `s3-verifyssl` become `AWS_ENDPOINT_URL`,
`S3_USE_HTTPS`, `AWS_DEFAULT_REGION` and `S3_VERIFY_SSL`. GCS: a Secret with `gcloud-application-credentials.json`
is mounted and `GOOGLE_APPLICATION_CREDENTIALS` points at it. Azure: `AZ_CLIENT_ID`, `AZ_CLIENT_SECRET`,
`AZ_TENANT_ID` (or `AZURE_*`) and `AZURE_STORAGE_ACCESS_KEY` become the `AZURE_*` variables. Secrets are referenced
(`secretKeyRef`), never copied.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from modelplane.reconcile.observed import Manifest

S3_ANNOTATIONS = {
    "serving.kserve.io/s3-usehttps": "S3_USE_HTTPS",
    "serving.kserve.io/s3-region": "AWS_DEFAULT_REGION",
    "serving.kserve.io/s3-verifyssl": "S3_VERIFY_SSL",
}
GCS_KEY = "gcloud-application-credentials.json"
GCS_MOUNT = "/var/secrets"
AZURE_KEYS = {
    "AZ_CLIENT_ID": "AZURE_CLIENT_ID",
    "AZ_CLIENT_SECRET": "AZURE_CLIENT_SECRET",
    "AZ_TENANT_ID": "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID": "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET": "AZURE_CLIENT_SECRET",
    "AZURE_TENANT_ID": "AZURE_TENANT_ID",
    "AZURE_STORAGE_ACCESS_KEY": "AZURE_STORAGE_ACCESS_KEY",
}


@dataclasses.dataclass(frozen=True)
class Credentials:
    """Environment variables, volumes and mounts for the container that downloads the model."""

    env: tuple[dict[str, Any], ...] = ()
    volumes: tuple[dict[str, Any], ...] = ()
    mounts: tuple[dict[str, Any], ...] = ()


def _ref(name: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def from_secrets(*, service_account: Manifest | None, secrets: tuple[Manifest, ...]) -> Credentials:
    """The credentials of the Secrets `service_account` lists (in its order); Secrets it does not list are ignored."""
    if service_account is None:
        return Credentials()
    by_name = {s["metadata"]["name"]: s for s in secrets}
    env: list[dict[str, Any]] = []
    volumes: list[dict[str, Any]] = []
    mounts: list[dict[str, Any]] = []
    seen: set[str] = set()
    for ref in service_account.get("secrets") or []:
        secret = by_name.get(ref.get("name", ""))
        if secret is None:
            continue
        name = secret["metadata"]["name"]
        keys = set((secret.get("data") or {}).keys()) | set((secret.get("stringData") or {}).keys())
        annotations = secret["metadata"].get("annotations") or {}
        if "AWS_ACCESS_KEY_ID" in keys and "AWS_SECRET_ACCESS_KEY" in keys and "AWS_ACCESS_KEY_ID" not in seen:
            seen.add("AWS_ACCESS_KEY_ID")
            env.append(_ref("AWS_ACCESS_KEY_ID", name, "AWS_ACCESS_KEY_ID"))
            env.append(_ref("AWS_SECRET_ACCESS_KEY", name, "AWS_SECRET_ACCESS_KEY"))
            endpoint = annotations.get("serving.kserve.io/s3-endpoint")
            if endpoint:
                scheme = "http" if annotations.get("serving.kserve.io/s3-usehttps") == "0" else "https"
                env.append({"name": "AWS_ENDPOINT_URL", "value": f"{scheme}://{endpoint}"})
            for annotation, variable in S3_ANNOTATIONS.items():
                if annotation in annotations:
                    env.append({"name": variable, "value": str(annotations[annotation])})
        if GCS_KEY in keys and "GCS" not in seen:
            seen.add("GCS")
            volumes.append({"name": "user-gcp-sa", "secret": {"secretName": name}})
            mounts.append({"name": "user-gcp-sa", "mountPath": GCS_MOUNT, "readOnly": True})
            env.append({"name": "GOOGLE_APPLICATION_CREDENTIALS", "value": f"{GCS_MOUNT}/{GCS_KEY}"})
        for key, variable in AZURE_KEYS.items():
            if key in keys and variable not in seen:
                seen.add(variable)
                env.append(_ref(variable, name, key))
    return Credentials(env=tuple(env), volumes=tuple(volumes), mounts=tuple(mounts))
