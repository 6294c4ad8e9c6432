"""The cluster's Ingress, Gateway API HTTPRoute and Istio VirtualService objects as one routing table (pure).

Each object contributes routes per host: a path match (exact, prefix or regular expression), weighted backends
(Services resolved to their ready endpoints), request headers to set and an optional host or prefix rewrite.
Where two objects claim the same host and path, the older one wins and the table notes the other. Ingresses
marked `nginx.ingress.kubernetes.io/canary: "true"` add their backend to the matching route with
`canary-weight`, as ingress-nginx does.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from modelplane.devcluster import backends

CATCH_ALL = "*"
CANARY = "nginx.ingress.kubernetes.io/canary"
CANARY_WEIGHT = "nginx.ingress.kubernetes.io/canary-weight"


@dataclasses.dataclass(frozen=True)
class Backend:
    """One weighted destination: a Service and the endpoints that serve it now."""

    service: str
    weight: int
    endpoints: tuple[str, ...]
    note: str = ""


@dataclasses.dataclass(frozen=True)
class Route:
    """One path of one host."""

    kind: str  # "exact" | "prefix" | "regex"
    path: str
    backends: tuple[Backend, ...]
    source: str
    set_headers: tuple[tuple[str, str], ...] = ()
    host_rewrite: str = ""
    prefix_rewrite: str = ""


@dataclasses.dataclass(frozen=True)
class Table:
    """Routes by host (`*` matches any host), plus notes on what was skipped and why."""

    hosts: Mapping[str, tuple[Route, ...]]
    notes: tuple[str, ...]


@dataclasses.dataclass
class _Builder:
    cluster: backends.Cluster
    hosts: dict[str, list[Route]] = dataclasses.field(default_factory=dict)
    notes: list[str] = dataclasses.field(default_factory=list)

    def backend(self, *, namespace: str, name: str, port: int | str | None, weight: int) -> Backend:
        found, note = backends.endpoints(self.cluster, namespace=namespace, name=name, port=port)
        return Backend(service=f"{namespace}/{name}", weight=weight, endpoints=tuple(found), note=note)

    def add(self, host: str, route: Route) -> None:
        if route.kind == "regex" and not valid_regex(route.path):
            self.notes.append(f"{route.source}: {route.path!r} is not a valid regular expression; skipped")
            return
        routes = self.hosts.setdefault(host.lower(), [])
        for existing in routes:
            if (existing.kind, existing.path) == (route.kind, route.path):
                self.notes.append(
                    f"{route.source}: {host} {route.path} is already routed by {existing.source}; skipped"
                )
                return
        routes.append(route)


def _age(obj: Mapping[str, Any]) -> tuple[str, str, str]:
    meta = obj.get("metadata") or {}
    return (str(meta.get("creationTimestamp") or ""), str(meta.get("namespace") or ""), str(meta.get("name") or ""))


def _label(kind: str, obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return f"{kind} {meta.get('namespace')}/{meta.get('name')}"


def _is_canary(ingress: Mapping[str, Any]) -> bool:
    return ((ingress.get("metadata") or {}).get("annotations") or {}).get(CANARY) == "true"


def _service_port(port: Mapping[str, Any]) -> int | str | None:
    if "number" in port:
        return int(port["number"])
    return port.get("name")


def _ingress(builder: _Builder, ingress: Mapping[str, Any], *, ingress_class: str | None) -> None:
    meta, spec = ingress["metadata"], ingress.get("spec") or {}
    source = _label("Ingress", ingress)
    if ingress_class and spec.get("ingressClassName", ingress_class) != ingress_class:
        return
    namespace = meta["namespace"]
    canary = _is_canary(ingress)
    weight_text = (meta.get("annotations") or {}).get(CANARY_WEIGHT, "0")
    rules = list(spec.get("rules") or [])
    if spec.get("defaultBackend"):
        rules.append({"http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": spec["defaultBackend"]}]}})
    for rule in rules:
        host = rule.get("host") or CATCH_ALL
        for path in (rule.get("http") or {}).get("paths") or []:
            service = (path.get("backend") or {}).get("service")
            if not service:
                builder.notes.append(f"{source}: path {path.get('path')!r} has no service backend; skipped")
                continue
            kind = "exact" if path.get("pathType") == "Exact" else "prefix"
            route_path = path.get("path") or "/"
            if canary:
                _add_canary(
                    builder,
                    host=host,
                    kind=kind,
                    path=route_path,
                    source=source,
                    weight_text=weight_text,
                    backend=builder.backend(
                        namespace=namespace,
                        name=service["name"],
                        port=_service_port(service.get("port") or {}),
                        weight=0,
                    ),
                )
                continue
            backend = builder.backend(
                namespace=namespace, name=service["name"], port=_service_port(service.get("port") or {}), weight=100
            )
            builder.add(host, Route(kind=kind, path=route_path, backends=(backend,), source=source))


def _add_canary(
    builder: _Builder, *, host: str, kind: str, path: str, source: str, weight_text: str, backend: Backend
) -> None:
    if not weight_text.isdigit() or not 0 <= int(weight_text) <= 100:
        builder.notes.append(f"{source}: {CANARY_WEIGHT} {weight_text!r} is not 0..100; skipped")
        return
    weight = int(weight_text)
    routes = builder.hosts.get(host.lower(), [])
    for index, route in enumerate(routes):
        if (route.kind, route.path) == (kind, path):
            main = tuple(dataclasses.replace(b, weight=b.weight * (100 - weight) // 100) for b in route.backends)
            canary = dataclasses.replace(backend, weight=weight)
            routes[index] = dataclasses.replace(route, backends=(*main, canary), source=f"{route.source} + {source}")
            return
    builder.notes.append(f"{source}: canary for {host} {path} has no main Ingress to split with; skipped")


def _httproute(builder: _Builder, route: Mapping[str, Any]) -> None:
    meta, spec = route["metadata"], route.get("spec") or {}
    source = _label("HTTPRoute", route)
    namespace = meta["namespace"]
    hosts = spec.get("hostnames") or [CATCH_ALL]
    for rule in spec.get("rules") or []:
        set_headers: list[tuple[str, str]] = []
        host_rewrite = prefix_rewrite = ""
        for item in rule.get("filters") or []:
            if item.get("type") == "RequestHeaderModifier":
                modifier = item.get("requestHeaderModifier") or {}
                set_headers += [
                    (h["name"], h["value"]) for h in (modifier.get("set") or []) + (modifier.get("add") or [])
                ]
            elif item.get("type") == "URLRewrite":
                rewrite = item.get("urlRewrite") or {}
                host_rewrite = rewrite.get("hostname") or ""
                prefix_rewrite = ((rewrite.get("path") or {}).get("replacePrefixMatch")) or ""
            else:
                builder.notes.append(f"{source}: filter {item.get('type')} is not supported; ignored")
        chosen = [
            builder.backend(
                namespace=ref.get("namespace") or namespace,
                name=ref["name"],
                port=ref.get("port"),
                weight=int(ref.get("weight", 1)),
            )
            for ref in rule.get("backendRefs") or []
            if ref.get("kind", "Service") == "Service"
        ]
        for match in rule.get("matches") or [{"path": {"type": "PathPrefix", "value": "/"}}]:
            if match.get("headers") or match.get("queryParams") or match.get("method"):
                builder.notes.append(f"{source}: header, query and method matches are not supported; rule skipped")
                continue
            path = match.get("path") or {"type": "PathPrefix", "value": "/"}
            kind = {"Exact": "exact", "RegularExpression": "regex"}.get(path.get("type", "PathPrefix"), "prefix")
            for host in hosts:
                builder.add(
                    host,
                    Route(
                        kind=kind,
                        path=path.get("value") or "/",
                        backends=tuple(chosen),
                        source=source,
                        set_headers=tuple(set_headers),
                        host_rewrite=host_rewrite,
                        prefix_rewrite=prefix_rewrite,
                    ),
                )


def _destination(host: str, *, namespace: str) -> tuple[str, str]:
    parts = host.split(".")
    if len(parts) == 1:
        return namespace, parts[0]
    return parts[1], parts[0]


def _virtualservice(builder: _Builder, service: Mapping[str, Any]) -> None:
    meta, spec = service["metadata"], service.get("spec") or {}
    source = _label("VirtualService", service)
    gateways = spec.get("gateways") or ["mesh"]
    if all(g == "mesh" for g in gateways):
        return
    namespace = meta["namespace"]
    for http in spec.get("http") or []:
        destinations = http.get("route") or []
        chosen = []
        for item in destinations:
            destination = item.get("destination") or {}
            ns, name = _destination(str(destination.get("host", "")), namespace=namespace)
            port = (destination.get("port") or {}).get("number")
            weight = int(item.get("weight", 100 if len(destinations) == 1 else 0))
            chosen.append(builder.backend(namespace=ns, name=name, port=port, weight=weight))
        headers = ((http.get("headers") or {}).get("request") or {}).get("set") or {}
        host_rewrite = str(headers.get("Host") or headers.get("host") or "")
        set_headers = tuple((k, str(v)) for k, v in sorted(headers.items()) if k.lower() != "host")
        rewrite = http.get("rewrite") or {}
        host_rewrite = str(rewrite.get("authority") or host_rewrite)
        uri_matches = [m["uri"] for m in http.get("match") or [] if m.get("uri")]
        for uri in uri_matches or [{"prefix": "/"}]:
            kind, path = next(iter(uri.items()))
            if kind not in ("exact", "prefix", "regex"):
                builder.notes.append(f"{source}: uri match {kind!r} is not supported; skipped")
                continue
            for host in spec.get("hosts") or [CATCH_ALL]:
                builder.add(
                    host,
                    Route(
                        kind=kind,
                        path=str(path),
                        backends=tuple(chosen),
                        source=source,
                        set_headers=set_headers,
                        host_rewrite=host_rewrite,
                        prefix_rewrite=str(rewrite.get("uri") or ""),
                    ),
                )


def build(
    *,
    ingresses: Iterable[Mapping[str, Any]],
    httproutes: Iterable[Mapping[str, Any]],
    virtualservices: Iterable[Mapping[str, Any]],
    cluster: backends.Cluster,
    ingress_class: str | None = None,
) -> Table:
    """The routing table; objects are applied oldest first, main Ingresses before canary ones."""
    builder = _Builder(cluster=cluster)
    # sorted() is stable: oldest first, and every main Ingress before any canary one.
    for ingress in sorted(sorted(ingresses, key=_age), key=_is_canary):
        _ingress(builder, ingress, ingress_class=ingress_class)
    for route in sorted(httproutes, key=_age):
        _httproute(builder, route)
    for service in sorted(virtualservices, key=_age):
        _virtualservice(builder, service)
    return Table(hosts={h: tuple(r) for h, r in sorted(builder.hosts.items())}, notes=tuple(builder.notes))


def order(routes: Sequence[Route]) -> list[Route]:
    """Routes in matching order: exact paths, then prefixes longest first, then regular expressions."""
    rank = {"exact": 0, "prefix": 1, "regex": 2}
    return sorted(routes, key=lambda r: (rank[r.kind], -len(r.path) if r.kind == "prefix" else 0))


def valid_regex(pattern: str) -> bool:
    """True when Python can compile the pattern (nginx's PCRE accepts what these objects use)."""
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True
