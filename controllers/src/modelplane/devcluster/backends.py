"""From a Service reference to the addresses that serve it: Service port -> EndpointSlices -> ready pod IP:port.

There is no kube-proxy on the local control plane, so cluster IPs lead nowhere; the local ingress sends traffic
straight to the endpoints, as an ingress controller does. Pure: Services and EndpointSlices come in as dicts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

SERVICE_LABEL = "kubernetes.io/service-name"


@dataclasses.dataclass(frozen=True)
class Cluster:
    """The Services (by namespace/name) and EndpointSlices (by namespace/service) the resolution reads."""

    services: Mapping[str, Mapping[str, Any]]
    slices: Mapping[str, Sequence[Mapping[str, Any]]]


def index(services: Iterable[Mapping[str, Any]], slices: Iterable[Mapping[str, Any]]) -> Cluster:
    """Index listed Services and EndpointSlices for `endpoints`."""
    by_name = {f"{s['metadata']['namespace']}/{s['metadata']['name']}": s for s in services}
    by_service: dict[str, list[Mapping[str, Any]]] = {}
    for item in slices:
        meta = item["metadata"]
        service = (meta.get("labels") or {}).get(SERVICE_LABEL)
        if service:
            by_service.setdefault(f"{meta['namespace']}/{service}", []).append(item)
    return Cluster(services=by_name, slices=by_service)


def endpoints(cluster: Cluster, *, namespace: str, name: str, port: int | str | None) -> tuple[list[str], str]:
    """Ready `ip:port` targets of the Service's port, and '' or a note saying why there are none."""
    key = f"{namespace}/{name}"
    service = cluster.services.get(key)
    if service is None:
        return [], f"Service {key} does not exist"
    ports = (service.get("spec") or {}).get("ports") or []
    chosen = None
    for candidate in ports:
        if port is None or candidate.get("port") == port or (isinstance(port, str) and candidate.get("name") == port):
            chosen = candidate
            break
    if chosen is None:
        listed = ", ".join(str(p.get("port")) for p in ports) or "none"
        return [], f"Service {key} has no port {port} (it has {listed})"
    port_name = chosen.get("name") or ""
    targets: list[str] = []
    for item in cluster.slices.get(key, []):
        if item.get("addressType", "IPv4") != "IPv4":
            continue
        numbers = [p.get("port") for p in item.get("ports") or [] if (p.get("name") or "") == port_name]
        if not numbers or numbers[0] is None:
            continue
        for endpoint in item.get("endpoints") or []:
            if (endpoint.get("conditions") or {}).get("ready") is False:
                continue
            targets.extend(f"{address}:{numbers[0]}" for address in endpoint.get("addresses") or [])
    if not targets:
        return [], f"Service {key} has no ready endpoints"
    return sorted(set(targets)), ""
