"""The cluster objects a pod's spec refers to, fetched by the I/O edge before a pod is planned.

Planning is pure, so the ConfigMaps, Secrets and ServiceAccount tokens a pod needs are looked up first (see
`wanted`) and handed in as a `Sources` value. A name missing from `Sources` means the object does not exist.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any


@dataclasses.dataclass(frozen=True)
class TokenKey:
    """One projected ServiceAccount token: its audience ('' = the API server's) and lifetime in seconds."""

    audience: str
    expiration_seconds: int


@dataclasses.dataclass(frozen=True)
class Sources:
    """ConfigMap and Secret data by name (values as bytes) and tokens by key, all of the pod's namespace."""

    configmaps: Mapping[str, Mapping[str, bytes]] = dataclasses.field(default_factory=dict)
    secrets: Mapping[str, Mapping[str, bytes]] = dataclasses.field(default_factory=dict)
    tokens: Mapping[TokenKey, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Wanted:
    """What to fetch for a pod: names of ConfigMaps and Secrets, and the tokens to request."""

    configmaps: frozenset[str]
    secrets: frozenset[str]
    tokens: frozenset[TokenKey]


def _containers(spec: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    yield from spec.get("initContainers") or []
    yield from spec.get("containers") or []


def token_key(source: Mapping[str, Any]) -> TokenKey:
    """The key of a `serviceAccountToken` projection (the API server defaults the lifetime to one hour)."""
    return TokenKey(
        audience=str(source.get("audience") or ""),
        expiration_seconds=int(source.get("expirationSeconds") or 3600),
    )


def wanted(pod: Mapping[str, Any]) -> Wanted:
    """Every ConfigMap, Secret and token the pod's env, envFrom and volumes name."""
    spec = pod.get("spec") or {}
    configmaps: set[str] = set()
    secrets: set[str] = set()
    tokens: set[TokenKey] = set()
    for container in _containers(spec):
        for env in container.get("env") or []:
            ref = env.get("valueFrom") or {}
            if "configMapKeyRef" in ref:
                configmaps.add(ref["configMapKeyRef"]["name"])
            if "secretKeyRef" in ref:
                secrets.add(ref["secretKeyRef"]["name"])
        for env_from in container.get("envFrom") or []:
            if "configMapRef" in env_from:
                configmaps.add(env_from["configMapRef"]["name"])
            if "secretRef" in env_from:
                secrets.add(env_from["secretRef"]["name"])
    for volume in spec.get("volumes") or []:
        if "configMap" in volume:
            configmaps.add(volume["configMap"]["name"])
        if "secret" in volume:
            secrets.add(volume["secret"]["secretName"])
        for source in (volume.get("projected") or {}).get("sources") or []:
            if "configMap" in source:
                configmaps.add(source["configMap"]["name"])
            if "secret" in source:
                secrets.add(source["secret"]["name"])
            if "serviceAccountToken" in source:
                tokens.add(token_key(source["serviceAccountToken"]))
    return Wanted(configmaps=frozenset(configmaps), secrets=frozenset(secrets), tokens=frozenset(tokens))
