"""Raw-mode routing of the top-level host: an Ingress, a Gateway API HTTPRoute or an Istio VirtualService.

Which kind is the `ingress.routing` choice of the configuration. Backends carry weights so a canary splits
traffic; a plain Ingress has no weights, so the canary gets a second Ingress with the NGINX canary annotations.
With an explainer, V1 explanation calls go to `<isvc>-explainer` and everything else to the top component, as in
Serverless mode. The VirtualService matches any model name with the same regular expression as Serverless mode;
Ingress and HTTPRoute match the exact path `/v1/models/<isvc>:explain` (the model name the runtimes serve is the
InferenceService's name), since an Ingress has no regular expressions and an HTTPRoute's are an
implementation-specific extra while exact paths are core in both.
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


#: The V1 explanation path of any model (Istio's regular expressions are RE2, as are Serverless mode's).
EXPLAIN_REGEX = r"^/v1/models/[\w-]+:explain$"


def explain_path(isvc: Manifest) -> str:
    """The exact V1 explanation path of the InferenceService's model."""
    return f"/v1/models/{isvc['metadata']['name']}:explain"


def _live(backends: tuple[Backend, ...]) -> tuple[Backend, ...]:
    return tuple(b for b in backends if b.weight > 0) or backends[:1]


def routes(
    *, isvc: Manifest, backends: tuple[Backend, ...], config: Config, explainer: tuple[Backend, ...] = ()
) -> list[dict[str, Any]]:
    """The routing objects for `backends` (weights add up to 100) in the configured kind; `explainer` (when
    given) takes the V1 explanation calls."""
    name = isvc["metadata"]["name"]
    namespace = isvc["metadata"]["namespace"]
    host = names.external_host(name=name, namespace=namespace, config=config)
    live = _live(backends)
    explaining = _live(explainer) if explainer else ()
    if config.ingress.routing == "gateway-api":
        gw_namespace, gw_name = _split_gateway(config.ingress.gateway, default_namespace=namespace)

        def refs(targets: tuple[Backend, ...]) -> list[dict[str, Any]]:
            return [{"kind": "Service", "name": b.service, "port": 80, "weight": b.weight} for b in targets]

        rules: list[dict[str, Any]] = []
        if explaining:
            rules.append(
                {
                    "matches": [{"path": {"type": "Exact", "value": explain_path(isvc)}}],
                    "backendRefs": refs(explaining),
                }
            )
        rules.append({"matches": [{"path": {"type": "PathPrefix", "value": "/"}}], "backendRefs": refs(live)})
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
                    "rules": rules,
                },
            }
        ]
    if config.ingress.routing == "istio":

        def destinations(targets: tuple[Backend, ...]) -> list[dict[str, Any]]:
            return [
                {
                    "destination": {
                        "host": names.local_host(name=b.service, namespace=namespace),
                        "port": {"number": 80},
                    },
                    "weight": b.weight,
                }
                for b in targets
            ]

        http: list[dict[str, Any]] = []
        if explaining:
            http.append({"match": [{"uri": {"regex": EXPLAIN_REGEX}}], "route": destinations(explaining)})
        http.append({"route": destinations(live)})
        return [
            {
                "apiVersion": "networking.istio.io/v1beta1",
                "kind": "VirtualService",
                "metadata": names.child_metadata(isvc=isvc, name=name, component=None),
                "spec": {
                    "hosts": [host],
                    "gateways": [config.ingress.gateway],
                    "http": http,
                },
            }
        ]
    main = _ingress(isvc=isvc, name=name, host=host, backend=live[0], config=config, canary_weight=None)
    if explaining:
        # Only the main Ingress: a canary Ingress splits the host's other paths, the explainer keeps its own.
        paths = main["spec"]["rules"][0]["http"]["paths"]
        paths.insert(0, _path(explain_path(isvc), path_type="Exact", service=explaining[0].service))
    result = [main]
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
                    "http": {"paths": [_path("/", path_type="Prefix", service=backend.service)]},
                }
            ],
        },
    }


def _path(path: str, *, path_type: str, service: str) -> dict[str, Any]:
    return {"path": path, "pathType": path_type, "backend": {"service": {"name": service, "port": {"number": 80}}}}
