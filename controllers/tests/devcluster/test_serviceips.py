"""Covers devcluster.serviceips: listeners per ClusterIP Service port with their endpoints, and the /etc/hosts
naming Services as cluster DNS does (short names only in the pod's namespace; headless Services by pod IP)."""

from __future__ import annotations

from modelplane.devcluster import backends, serviceips


def service(ns: str, name: str, cluster_ip: str, **spec: object) -> dict:
    return {
        "metadata": {"namespace": ns, "name": name},
        "spec": {"clusterIP": cluster_ip, "ports": [{"name": "http", "port": 80, "targetPort": 8080}], **spec},
    }


def endpoint_slice(ns: str, name: str, *ips: str) -> dict:
    return {
        "metadata": {"namespace": ns, "name": f"{name}-1", "labels": {backends.SERVICE_LABEL: name}},
        "ports": [{"name": "http", "port": 8080}],
        "endpoints": [{"addresses": [ip]} for ip in ips],
    }


CLUSTER = backends.index(
    [
        service("models", "iris-predictor", "10.96.0.10"),
        service("models", "headless", "None"),
        service("other", "sink", "10.96.0.11"),
        service("other", "ext", "", type="ExternalName", externalName="example.com"),
    ],
    [
        endpoint_slice("models", "iris-predictor", "198.18.0.2", "198.18.0.3"),
        endpoint_slice("models", "headless", "198.18.0.4"),
    ],
)


def test_listeners_cover_cluster_ip_ports_with_their_endpoints() -> None:
    assert serviceips.listeners(CLUSTER) == {
        ("10.96.0.10", 80): ("198.18.0.2:8080", "198.18.0.3:8080"),
        ("10.96.0.11", 80): (),
    }


def test_hosts_file_names_services_like_cluster_dns() -> None:
    text = serviceips.hosts_file(CLUSTER, namespace="models", pod_ip="198.18.0.9", hostname="iris-abc")
    lines = text.splitlines()
    assert lines[:3] == ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", "198.18.0.9\tiris-abc"]
    names = "iris-predictor.models.svc.cluster.local iris-predictor.models.svc iris-predictor.models iris-predictor"
    assert f"10.96.0.10\t{names}" in lines
    assert "10.96.0.11\tsink.other.svc.cluster.local sink.other.svc sink.other" in lines
    assert "198.18.0.4\theadless.models.svc.cluster.local headless.models.svc headless.models headless" in lines
    assert not any("ext.other" in line for line in lines)
