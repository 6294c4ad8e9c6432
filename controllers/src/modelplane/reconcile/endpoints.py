"""The ready replicas of a component, read from the EndpointSlices of its Services.

A TrainedModel must be loaded into every replica of its parent's predictor, not into whichever one the Service picks,
so the operator needs each ready pod's address. The EndpointSlice controller copies a Service's labels onto its
slices, so the slices of `<isvc>-predictor` (and of its canary) carry `serving.kserve.io/inferenceservice` and
`component: predictor`. Only endpoints that are ready, not terminating, and backed by a pod in the InferenceService's
own namespace count (a Knative public Service may list the activator, which lives elsewhere). The port is the
slice's `http`-named port (KServe's and Knative's serving port name), else its first port.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

HTTP_PORT_NAMES = ("http", "http1", "h2c")


def _port(slice_: Mapping[str, Any]) -> int | None:
    ports = [p for p in slice_.get("ports") or [] if isinstance(p, Mapping) and p.get("port")]
    for name in HTTP_PORT_NAMES:
        for port in ports:
            if port.get("name") == name:
                return int(port["port"])
    return int(ports[0]["port"]) if ports else None


def _ready(endpoint: Mapping[str, Any]) -> bool:
    conditions = endpoint.get("conditions") or {}
    # An absent `ready` means ready (the API's documented meaning); terminating endpoints take no new models.
    return conditions.get("ready", True) is not False and not conditions.get("terminating", False)


def ready_addresses(slices: Iterable[Mapping[str, Any]], *, namespace: str) -> tuple[str, ...]:
    """`host:port` of every ready pod endpoint in `slices`, each pod once, sorted (IPv6 hosts in brackets)."""
    found: dict[str, str] = {}
    for slice_ in slices:
        port = _port(slice_)
        if port is None:
            continue
        ipv6 = slice_.get("addressType") == "IPv6"
        for endpoint in slice_.get("endpoints") or []:
            target = endpoint.get("targetRef") or {}
            if target.get("kind") != "Pod" or target.get("namespace", namespace) != namespace:
                continue
            if not _ready(endpoint) or not endpoint.get("addresses"):
                continue
            host = str(endpoint["addresses"][0])
            found.setdefault(host, f"[{host}]:{port}" if ipv6 else f"{host}:{port}")
    return tuple(sorted(found.values()))
