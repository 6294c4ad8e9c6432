"""Covers devcluster.backends: Service port by number or name -> EndpointSlice port -> ready addresses, and the
notes when a Service, port or endpoint is missing."""

from __future__ import annotations

from modelplane.devcluster import backends


def service(name: str, ports: list[dict]) -> dict:
    return {"metadata": {"namespace": "ns", "name": name}, "spec": {"ports": ports}}


def endpoint_slice(name: str, service_name: str, ports: list[dict], endpoints: list[dict]) -> dict:
    return {
        "metadata": {
            "namespace": "ns",
            "name": name,
            "labels": {backends.SERVICE_LABEL: service_name},
        },
        "addressType": "IPv4",
        "ports": ports,
        "endpoints": endpoints,
    }


CLUSTER = backends.index(
    [
        service(
            "web",
            [
                {"name": "http", "port": 80, "targetPort": 8080},
                {"name": "grpc", "port": 81},
            ],
        ),
        service("empty", [{"port": 80}]),
    ],
    [
        endpoint_slice(
            "web-a",
            "web",
            [{"name": "http", "port": 8080}, {"name": "grpc", "port": 8081}],
            [
                {"addresses": ["198.18.0.2"], "conditions": {"ready": True}},
                {"addresses": ["198.18.0.3"], "conditions": {"ready": False}},
                {"addresses": ["198.18.0.4"]},
            ],
        ),
        endpoint_slice(
            "web-b",
            "web",
            [{"name": "http", "port": 8080}],
            [{"addresses": ["198.18.0.5"]}],
        ),
        endpoint_slice("empty-a", "empty", [{"port": 8080}], []),
    ],
)


def test_port_by_number_collects_ready_endpoints_from_every_slice() -> None:
    found, note = backends.endpoints(CLUSTER, namespace="ns", name="web", port=80)
    assert found == ["198.18.0.2:8080", "198.18.0.4:8080", "198.18.0.5:8080"]
    assert note == ""


def test_port_by_name_maps_to_the_slice_port_of_that_name() -> None:
    found, _ = backends.endpoints(CLUSTER, namespace="ns", name="web", port="grpc")
    assert found == ["198.18.0.2:8081", "198.18.0.4:8081"]


def test_missing_things_are_explained() -> None:
    assert backends.endpoints(CLUSTER, namespace="ns", name="nope", port=80) == (
        [],
        "Service ns/nope does not exist",
    )
    assert backends.endpoints(CLUSTER, namespace="ns", name="web", port=9) == (
        [],
        "Service ns/web has no port 9 (it has 80, 81)",
    )
    assert backends.endpoints(CLUSTER, namespace="ns", name="empty", port=None) == (
        [],
        "Service ns/empty has no ready endpoints",
    )
