"""The controller's configuration, read from the `inferenceservice-config` ConfigMap as KServe lays it out.

Each ConfigMap key holds a JSON object (`deploy`, `ingress`, `storageInitializer`, `runtime`, `logger`, `batcher`).
Parsing is strict: a key that is not JSON, or a field of the wrong type or value, raises `ConfigError` naming the key
and field, so a typo is caught when the operator starts rather than showing up as odd manifests later.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from modelplane.reconcile import errors

DEPLOYMENT_MODES = ("Serverless", "RawDeployment")
ROUTINGS = ("istio", "ingress", "gateway-api")


@dataclasses.dataclass(frozen=True)
class IngressConfig:
    """Where the top-level host lives and which kind of object routes to it."""

    domain: str = "example.com"
    gateway: str = "knative-serving/knative-ingress-gateway"
    local_gateway_host: str = "knative-local-gateway.istio-system.svc.cluster.local"
    class_name: str = "istio"
    url_scheme: str = "http"
    routing: str = "istio"


@dataclasses.dataclass(frozen=True)
class StorageInitializerConfig:
    """The init container that copies a storage URI into `/mnt/models`.

    `cache_host_path` (ConfigMap field `cacheHostPath`, off when empty, as KServe has no node cache by default) is a
    directory on each node that is mounted into the storage initializer as its content-addressed cache
    (`MODELPLANE_STORAGE_CACHE`), so a second replica on a node copies a model instead of downloading it again."""

    image: str = "modelplane/runtime:0.1.0"
    cpu_request: str = "100m"
    cpu_limit: str = "1"
    memory_request: str = "100Mi"
    memory_limit: str = "1Gi"
    cache_host_path: str = ""


@dataclasses.dataclass(frozen=True)
class Config:
    """Everything the pure reconcilers need to know about the cluster they produce manifests for."""

    default_deployment_mode: str = "Serverless"
    ingress: IngressConfig = IngressConfig()
    storage_initializer: StorageInitializerConfig = StorageInitializerConfig()
    runtime_image: str = "modelplane/runtime:0.1.0"
    logger_default_url: str = ""
    batcher_default_max_batch_size: int = 32
    batcher_default_max_latency_ms: int = 500


def _section(data: Mapping[str, str], key: str) -> dict[str, Any]:
    raw = data.get(key)
    if raw is None or raw.strip() == "":
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise errors.ConfigError(
            f"ConfigMap key {key!r} is not valid JSON ({exc.msg} at line {exc.lineno}); write it as a JSON object"
        ) from exc
    if not isinstance(value, dict):
        raise errors.ConfigError(f"ConfigMap key {key!r} must hold a JSON object, got {type(value).__name__}")
    return value


def _text(section: Mapping[str, Any], *, key: str, field: str, default: str) -> str:
    value = section.get(field, default)
    if not isinstance(value, str) or value == "":
        raise errors.ConfigError(f"ConfigMap key {key!r}: field {field!r} must be a non-empty string, got {value!r}")
    return value


def _choice(section: Mapping[str, Any], *, key: str, field: str, default: str, allowed: tuple[str, ...]) -> str:
    value = _text(section, key=key, field=field, default=default)
    if value not in allowed:
        raise errors.ConfigError(
            f"ConfigMap key {key!r}: field {field!r} is {value!r}; use one of {', '.join(allowed)}"
        )
    return value


def _positive(section: Mapping[str, Any], *, key: str, field: str, default: int) -> int:
    value = section.get(field, default)
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise errors.ConfigError(f"ConfigMap key {key!r}: field {field!r} must be a positive integer, got {value!r}")
    return value


def _host_path(section: Mapping[str, Any], *, key: str, field: str) -> str:
    """An absolute node path without `..`, or "" when the field is absent or empty (the feature is off)."""
    value = section.get(field, "")
    if not isinstance(value, str):
        raise errors.ConfigError(f"ConfigMap key {key!r}: field {field!r} must be a string path, got {value!r}")
    if value == "":
        return ""
    if not value.startswith("/") or ".." in value.split("/"):
        raise errors.ConfigError(
            f"ConfigMap key {key!r}: field {field!r} is {value!r}; give an absolute path on the node without '..' "
            "(for example /var/cache/modelplane), or leave it empty to turn the cache off"
        )
    return value.rstrip("/") or "/"


def from_configmap_data(data: Mapping[str, str]) -> Config:
    """Parse the `data` of an `inferenceservice-config` ConfigMap; missing keys and fields take KServe's defaults."""
    base = Config()
    deploy = _section(data, "deploy")
    mode = _choice(
        deploy,
        key="deploy",
        field="defaultDeploymentMode",
        default=base.default_deployment_mode,
        allowed=(*DEPLOYMENT_MODES, "Standard", "Knative"),
    )
    ingress = _section(data, "ingress")
    ing = base.ingress
    storage = _section(data, "storageInitializer")
    sto = base.storage_initializer
    logger = _section(data, "logger")
    batcher = _section(data, "batcher")
    logger_url = logger.get("defaultUrl", "")
    if not isinstance(logger_url, str):
        raise errors.ConfigError(f"ConfigMap key 'logger': field 'defaultUrl' must be a string, got {logger_url!r}")
    return Config(
        default_deployment_mode=normalise_mode(mode),
        ingress=IngressConfig(
            domain=_text(ingress, key="ingress", field="ingressDomain", default=ing.domain),
            gateway=_text(ingress, key="ingress", field="ingressGateway", default=ing.gateway),
            local_gateway_host=_text(
                ingress, key="ingress", field="localGatewayService", default=ing.local_gateway_host
            ),
            class_name=_text(ingress, key="ingress", field="ingressClassName", default=ing.class_name),
            url_scheme=_choice(
                ingress, key="ingress", field="urlScheme", default=ing.url_scheme, allowed=("http", "https")
            ),
            routing=_choice(ingress, key="ingress", field="routing", default=ing.routing, allowed=ROUTINGS),
        ),
        storage_initializer=StorageInitializerConfig(
            image=_text(storage, key="storageInitializer", field="image", default=sto.image),
            cpu_request=_text(storage, key="storageInitializer", field="cpuRequest", default=sto.cpu_request),
            cpu_limit=_text(storage, key="storageInitializer", field="cpuLimit", default=sto.cpu_limit),
            memory_request=_text(storage, key="storageInitializer", field="memoryRequest", default=sto.memory_request),
            memory_limit=_text(storage, key="storageInitializer", field="memoryLimit", default=sto.memory_limit),
            cache_host_path=_host_path(storage, key="storageInitializer", field="cacheHostPath"),
        ),
        runtime_image=_text(_section(data, "runtime"), key="runtime", field="image", default=base.runtime_image),
        logger_default_url=logger_url,
        batcher_default_max_batch_size=_positive(
            batcher, key="batcher", field="maxBatchSize", default=base.batcher_default_max_batch_size
        ),
        batcher_default_max_latency_ms=_positive(
            batcher, key="batcher", field="maxLatency", default=base.batcher_default_max_latency_ms
        ),
    )


def normalise_mode(mode: str) -> str:
    """Map KServe's newer mode names onto the two Modelplane reconciles: `Knative` -> Serverless, `Standard` -> Raw."""
    return {"Knative": "Serverless", "Standard": "RawDeployment"}.get(mode, mode)
