"""Covers devcluster.routes: Ingress (rules, default backend, class filter, canary annotations), HTTPRoute (path
types, weights, header filters, unsupported matches) and VirtualService (gateways, destinations, weights, header
and authority rewrites) into one table; conflicts, ordering and invalid patterns."""

from __future__ import annotations

from modelplane.devcluster import backends, routes


def svc(name: str, ip: str, ns: str = "ns") -> tuple[dict, dict]:
    service = {
        "metadata": {"namespace": ns, "name": name},
        "spec": {"ports": [{"name": "http", "port": 80}]},
    }
    slice_ = {
        "metadata": {
            "namespace": ns,
            "name": f"{name}-x",
            "labels": {backends.SERVICE_LABEL: name},
        },
        "ports": [{"name": "http", "port": 8080}],
        "endpoints": [{"addresses": [ip]}],
    }
    return service, slice_


PAIRS = [
    svc("iris-predictor", "198.18.0.2"),
    svc("iris-predictor-canary", "198.18.0.3"),
    svc("other", "198.18.0.4", ns="o"),
]
CLUSTER = backends.index([p[0] for p in PAIRS], [p[1] for p in PAIRS])


def meta(name: str, created: str = "2026-01-01T00:00:00Z", **annotations: str) -> dict:
    return {
        "namespace": "ns",
        "name": name,
        "creationTimestamp": created,
        "annotations": annotations,
    }


def ingress(
    name: str,
    service: str,
    *,
    host: str = "iris.ns.example.com",
    created: str = "2026-01-01T00:00:00Z",
    **ann: str,
) -> dict:
    path = {
        "path": "/",
        "pathType": "Prefix",
        "backend": {"service": {"name": service, "port": {"number": 80}}},
    }
    return {
        "metadata": meta(name, created, **ann),
        "spec": {
            "ingressClassName": "istio",
            "rules": [{"host": host, "http": {"paths": [path]}}],
        },
    }


def build(**kwargs) -> routes.Table:
    base = {
        "ingresses": [],
        "httproutes": [],
        "virtualservices": [],
        "cluster": CLUSTER,
    }
    return routes.build(**{**base, **kwargs})


def test_ingress_routes_host_and_path_to_the_endpoints() -> None:
    table = build(ingresses=[ingress("iris", "iris-predictor")])
    (route,) = table.hosts["iris.ns.example.com"]
    assert (route.kind, route.path, route.source) == ("prefix", "/", "Ingress ns/iris")
    assert route.backends == (routes.Backend(service="ns/iris-predictor", weight=100, endpoints=("198.18.0.2:8080",)),)


def test_ingress_class_filter_and_default_backend() -> None:
    other_class = ingress("x", "iris-predictor")
    other_class["spec"]["ingressClassName"] = "nginx"
    assert build(ingresses=[other_class], ingress_class="istio").hosts == {}
    default = {
        "metadata": meta("d"),
        "spec": {"defaultBackend": {"service": {"name": "iris-predictor", "port": {"name": "http"}}}},
    }
    (route,) = build(ingresses=[default]).hosts[routes.CATCH_ALL]
    assert route.backends[0].endpoints == ("198.18.0.2:8080",)


def test_canary_ingress_splits_by_its_weight_whatever_the_listing_order() -> None:
    canary = ingress(
        "iris-canary",
        "iris-predictor-canary",
        created="2025-01-01T00:00:00Z",
        **{routes.CANARY: "true", routes.CANARY_WEIGHT: "10"},
    )
    table = build(ingresses=[canary, ingress("iris", "iris-predictor")])
    (route,) = table.hosts["iris.ns.example.com"]
    assert [(b.service, b.weight) for b in route.backends] == [
        ("ns/iris-predictor", 90),
        ("ns/iris-predictor-canary", 10),
    ]
    bad = ingress(
        "bad",
        "iris-predictor-canary",
        **{routes.CANARY: "true", routes.CANARY_WEIGHT: "150"},
    )
    assert "is not 0..100" in build(ingresses=[ingress("iris", "iris-predictor"), bad]).notes[0]


def test_the_older_object_wins_a_conflict_and_the_other_is_noted() -> None:
    old = ingress("old", "iris-predictor", created="2026-01-01T00:00:00Z")
    new = ingress("new", "iris-predictor-canary", created="2026-02-01T00:00:00Z")
    table = build(ingresses=[new, old])
    assert table.hosts["iris.ns.example.com"][0].source == "Ingress ns/old"
    assert table.notes == ("Ingress ns/new: iris.ns.example.com / is already routed by Ingress ns/old; skipped",)


def test_httproute_weights_paths_and_header_filters() -> None:
    route = {
        "metadata": meta("iris"),
        "spec": {
            "hostnames": ["iris.ns.example.com"],
            "rules": [
                {
                    "matches": [
                        {"path": {"type": "PathPrefix", "value": "/v1"}},
                        {"path": {"type": "Exact", "value": "/"}},
                    ],
                    "filters": [
                        {
                            "type": "RequestHeaderModifier",
                            "requestHeaderModifier": {"set": [{"name": "X-Isvc", "value": "iris"}]},
                        }
                    ],
                    "backendRefs": [
                        {"name": "iris-predictor", "port": 80, "weight": 80},
                        {"name": "iris-predictor-canary", "port": 80, "weight": 20},
                    ],
                },
                {
                    "matches": [{"headers": [{"name": "x", "value": "y"}]}],
                    "backendRefs": [{"name": "other", "port": 80}],
                },
            ],
        },
    }
    table = build(httproutes=[route])
    by_path = {r.path: r for r in table.hosts["iris.ns.example.com"]}
    assert set(by_path) == {"/v1", "/"}
    assert by_path["/"].kind == "exact"
    assert [b.weight for b in by_path["/v1"].backends] == [80, 20]
    assert by_path["/v1"].set_headers == (("X-Isvc", "iris"),)
    assert "header, query and method matches are not supported" in table.notes[0]


def test_virtualservice_destinations_weights_and_rewrites() -> None:
    service = {
        "metadata": meta("iris"),
        "spec": {
            "hosts": ["iris.ns.example.com"],
            "gateways": ["knative-serving/knative-ingress-gateway", "mesh"],
            "http": [
                {
                    "match": [
                        {"uri": {"prefix": "/v1/models"}},
                        {"authority": {"regex": "^iris.*"}},
                    ],
                    "headers": {
                        "request": {
                            "set": {
                                "Host": "iris-predictor.ns.svc.cluster.local",
                                "X-A": "1",
                            }
                        }
                    },
                    "route": [
                        {
                            "destination": {
                                "host": "iris-predictor.ns.svc.cluster.local",
                                "port": {"number": 80},
                            },
                            "weight": 70,
                        },
                        {
                            "destination": {
                                "host": "iris-predictor-canary",
                                "port": {"number": 80},
                            },
                            "weight": 30,
                        },
                        {
                            "destination": {"host": "other.o", "port": {"number": 80}},
                            "weight": 0,
                        },
                    ],
                }
            ],
        },
    }
    mesh_only = {
        "metadata": meta("mesh"),
        "spec": {"hosts": ["m.example.com"], "gateways": ["mesh"], "http": []},
    }
    table = build(virtualservices=[service, mesh_only])
    assert list(table.hosts) == ["iris.ns.example.com"]
    (route,) = table.hosts["iris.ns.example.com"]
    assert (route.kind, route.path) == ("prefix", "/v1/models")
    assert [(b.service, b.weight) for b in route.backends] == [
        ("ns/iris-predictor", 70),
        ("ns/iris-predictor-canary", 30),
        ("o/other", 0),
    ]
    assert route.host_rewrite == "iris-predictor.ns.svc.cluster.local"
    assert route.set_headers == (("X-A", "1"),)


def test_order_is_exact_then_longest_prefix_then_regex_and_bad_regex_is_skipped() -> None:
    made = [
        routes.Route(kind="regex", path="^/a.*", backends=(), source="s"),
        routes.Route(kind="prefix", path="/", backends=(), source="s"),
        routes.Route(kind="prefix", path="/v1/models", backends=(), source="s"),
        routes.Route(kind="exact", path="/x", backends=(), source="s"),
    ]
    assert [r.path for r in routes.order(made)] == ["/x", "/v1/models", "/", "^/a.*"]
    bad = {
        "metadata": meta("r"),
        "spec": {"rules": [{"matches": [{"path": {"type": "RegularExpression", "value": "(["}}]}]},
    }
    assert "not a valid regular expression" in build(httproutes=[bad]).notes[0]
