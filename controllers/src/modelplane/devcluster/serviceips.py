"""Services reachable by cluster IP and by name from the process node's pods (pure part).

There is no kube-proxy on the local control plane, so the process node plays its part for its own pods: each
ClusterIP Service's address is put on the loopback device and every Service port listens there, forwarding to the
ready endpoints (`listeners`); and each pod's /etc/hosts names every Service as cluster DNS would
(`name.namespace.svc.cluster.local`, `name.namespace.svc`, `name.namespace`, and `name` in the pod's namespace),
pointing at the cluster IP, or at the endpoints' addresses for a headless Service (`hosts_file`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from modelplane.devcluster import backends

DOMAIN = "svc.cluster.local"


def _cluster_ip(service: Mapping[str, Any]) -> str:
    spec = service.get("spec") or {}
    if spec.get("type") == "ExternalName":
        return ""
    address = str(spec.get("clusterIP") or "")
    if not address or address == "None":
        return ""
    try:
        return address if ipaddress.ip_address(address).version == 4 else ""
    except ValueError:
        return ""


def listeners(cluster: backends.Cluster) -> dict[tuple[str, int], tuple[str, ...]]:
    """(cluster IP, port) -> ready `ip:port` targets, for every TCP port of every ClusterIP Service."""
    found: dict[tuple[str, int], tuple[str, ...]] = {}
    for key, service in sorted(cluster.services.items()):
        address = _cluster_ip(service)
        if not address:
            continue
        namespace, name = key.split("/", 1)
        for port in (service.get("spec") or {}).get("ports") or []:
            if port.get("protocol", "TCP") != "TCP" or "port" not in port:
                continue
            targets, _ = backends.endpoints(cluster, namespace=namespace, name=name, port=int(port["port"]))
            found[(address, int(port["port"]))] = tuple(targets)
    return found


def hosts_file(cluster: backends.Cluster, *, namespace: str, pod_ip: str, hostname: str) -> str:
    """The /etc/hosts of a pod in `namespace`: localhost, the pod itself, then every Service by its DNS names."""
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", f"{pod_ip}\t{hostname}"]
    for key, service in sorted(cluster.services.items()):
        service_namespace, name = key.split("/", 1)
        names = [
            f"{name}.{service_namespace}.{DOMAIN}",
            f"{name}.{service_namespace}.svc",
            f"{name}.{service_namespace}",
        ]
        if service_namespace == namespace:
            names.append(name)
        address = _cluster_ip(service)
        if address:
            lines.append(f"{address}\t{' '.join(names)}")
            continue
        if (service.get("spec") or {}).get("clusterIP") == "None":
            targets, _ = backends.endpoints(cluster, namespace=service_namespace, name=name, port=None)
            for ip in sorted({t.rsplit(":", 1)[0] for t in targets}):
                lines.append(f"{ip}\t{' '.join(names)}")
    return "\n".join(lines) + "\n"
