"""Raw-mode routing of the top-level host: an Ingress, a Gateway API HTTPRoute or an Istio VirtualService.

Which kind is the `ingress.routing` choice of the configuration. Backends carry weights so a canary splits
traffic; a plain Ingress has no weights, so the canary gets a second Ingress with the NGINX canary annotations.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from modelplane.reconcile import names
from modelplane.reconcile.config import Config
from modelplane.reconcile.observed import Manifest


@dataclasses.dataclass(frozen=True)
class Backend:
    """A Service the top-level host routes to, with its share of the traffic in percent."""

    service: str
    weight: int


def _split_gateway(gateway: str, *, default_namespace: str) -> tuple[str, str]:
    namespace, _, name = gateway.rpartition("/")
    return (namespace or default_namespace), name


def routes(*, isvc: Manifest, backends: tuple[Backend, ...], config: Config) -> list[dict[str, Any]]:
    """The routing objects for `backends` (weights add up to 100) in the configured kind."""
    name = isvc["metadata"]["name"]
    namespace = isvc["metadata"]["namespace"]
    host = names.external_host(name=name, namespace=namespace, config=config)
    live = tuple(b for b in backends if b.weight > 0) or backends[:1]
    if config.ingress.routing == "gateway-api":
        gw_namespace, gw_name = _split_gateway(config.ingress.gateway, default_namespace=namespace)
        return [
            {
                "apiVersion": "gateway.networking.k8s.io/v1",
                "kind": "HTTPRoute",
                "metadata": names.child_metadata(isvc=isvc, name=name, component=None),
                "spec": {
                    "hostnames": [host],
                    "parentRefs": [
                        {
                            "group": "gateway.networking.k8s.io",
                            "kind": "Gateway",
                            "name": gw_name,
                            "namespace": gw_namespace,
                        }
                    ],
                    "rules": [
                        {
                            "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                            "backendRefs": [
                                {"kind": "Service", "name": b.service, "port": 80, "weight": b.weight} for b in live
                            ],
                        }
                    ],
                },
            }
        ]
    if config.ingress.routing == "istio":
        return [
            {
                "apiVersion": "networking.istio.io/v1beta1",
                "kind": "VirtualService",
                "metadata": names.child_metadata(isvc=isvc, name=name, component=None),
                "spec": {
                    "hosts": [host],
                    "gateways": [config.ingress.gateway],
                    "http": [
                        {
                            "route": [
                                {
                                    "destination": {
                                        "host": names.local_host(name=b.service, namespace=namespace),
                                        "port": {"number": 80},
                                    },
                                    "weight": b.weight,
                                }
                                for b in live
                            ]
                        }
                    ],
                },
            }
        ]
    result = [_ingress(isvc=isvc, name=name, host=host, backend=live[0], config=config, canary_weight=None)]
    for backend in live[1:]:
        result.append(
            _ingress(
                isvc=isvc,
                name=f"{name}-canary",
                host=host,
                backend=backend,
                config=config,
                canary_weight=backend.weight,
            )
        )
    return result


def _ingress(
    *, isvc: Manifest, name: str, host: str, backend: Backend, config: Config, canary_weight: int | None
) -> dict[str, Any]:
    metadata = names.child_metadata(isvc=isvc, name=name, component=None)
    if canary_weight is not None:
        metadata["annotations"] = {
            "nginx.ingress.kubernetes.io/canary": "true",
            "nginx.ingress.kubernetes.io/canary-weight": str(canary_weight),
        }
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": metadata,
        "spec": {
            "ingressClassName": config.ingress.class_name,
            "rules": [
                {
                    "host": host,
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": backend.service, "port": {"number": 80}}},
                            }
                        ]
                    },
                }
            ],
        },
    }
