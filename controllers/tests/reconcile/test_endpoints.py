"""Tests of reading a component's ready replicas from EndpointSlices: ready pod endpoints of the InferenceService's
namespace count, each pod once, on the slice's `http` port (else its first); not-ready, terminating, address-less,
non-pod and other-namespace endpoints (a Knative activator) do not; IPv6 hosts are bracketed; a slice without
ports contributes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from modelplane.reconcile import endpoints


def endpoint(address: str, *, namespace: str = "m", kind: str = "Pod", **conditions: bool) -> dict[str, Any]:
    result: dict[str, Any] = {"addresses": [address], "targetRef": {"kind": kind, "namespace": namespace}}
    if conditions:
        result["conditions"] = conditions
    return result


def slice_(*items: dict[str, Any], ports: list[dict[str, Any]] | None = None, family: str = "IPv4") -> dict[str, Any]:
    return {
        "addressType": family,
        "ports": [{"name": "http", "port": 8080}] if ports is None else ports,
        "endpoints": list(items),
    }


CASES: dict[str, tuple[list[dict[str, Any]], tuple[str, ...]]] = {
    "ready-pods-sorted-once": (
        [slice_(endpoint("198.18.0.9", ready=True), endpoint("198.18.0.7")), slice_(endpoint("198.18.0.7"))],
        ("198.18.0.7:8080", "198.18.0.9:8080"),
    ),
    "not-ready-and-terminating-skipped": (
        [slice_(endpoint("198.18.0.1", ready=False), endpoint("198.18.0.2", ready=True, terminating=True))],
        (),
    ),
    "activator-in-another-namespace-skipped": (
        [slice_(endpoint("10.0.0.5", namespace="knative-serving"), endpoint("10.0.0.6", kind="Node"))],
        (),
    ),
    "http-port-preferred": (
        [slice_(endpoint("198.18.0.3"), ports=[{"name": "metrics", "port": 9090}, {"name": "http", "port": 8012}])],
        ("198.18.0.3:8012",),
    ),
    "first-port-otherwise": (
        [slice_(endpoint("198.18.0.3"), ports=[{"name": "grpc", "port": 8081}, {"name": "web", "port": 80}])],
        ("198.18.0.3:8081",),
    ),
    "ipv6-bracketed": ([slice_(endpoint("fd00::5"), family="IPv6")], ("[fd00::5]:8080",)),
    "no-ports-no-replicas": ([slice_(endpoint("198.18.0.3"), ports=[])], ()),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_ready_addresses(case: str) -> None:
    slices, wanted = CASES[case]
    assert endpoints.ready_addresses(slices, namespace="m") == wanted


def test_endpoint_without_address_is_skipped() -> None:
    item = {"addresses": [], "targetRef": {"kind": "Pod", "namespace": "m"}}
    assert endpoints.ready_addresses([slice_(item)], namespace="m") == ()
