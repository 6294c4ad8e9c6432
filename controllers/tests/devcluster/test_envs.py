"""Covers devcluster.envs: $(VAR) expansion, pod-IP substitution, quantities, env/envFrom/valueFrom resolution
(fieldRef, resourceFieldRef, ConfigMap and Secret keys, optional references) and the command line."""

from __future__ import annotations

import pytest
from modelplane.devcluster import envs, errors, sources

POD = {
    "metadata": {"name": "p", "namespace": "ns", "uid": "u-1", "labels": {"app": "x"}, "annotations": {"a": "b"}},
    "spec": {"nodeName": "local-process-node", "serviceAccountName": "sa"},
}
FOUND = sources.Sources(
    configmaps={"cm": {"mode": b"fast", "level": b"3"}},
    secrets={"creds": {"AWS_ACCESS_KEY_ID": b"key", "AWS_SECRET_ACCESS_KEY": b"secret"}},
)


def env_of(container: dict, found: sources.Sources = FOUND) -> dict[str, str]:
    return envs.container_env(
        POD,
        container,
        found=found,
        base={"PATH": "/bin"},
        pod_ip="198.18.0.7",
        host_ip="127.0.0.1",
        node_allocatable={"cpu": "32", "memory": "256Gi"},
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("$(A)-$(B)", "1-$(B)", id="unknown-kept"),
        pytest.param("$$(A)", "$(A)", id="escaped"),
        pytest.param("x$(A)y", "x1y", id="inline"),
    ],
)
def test_expand(text: str, expected: str) -> None:
    assert envs.expand(text, {"A": "1"}) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("0.0.0.0", "198.18.0.7", id="wildcard"),
        pytest.param("http://127.0.0.1:8080/x", "http://198.18.0.7:8080/x", id="loopback-url"),
        pytest.param("localhost:9000", "198.18.0.7:9000", id="localhost"),
        pytest.param("10.0.0.0", "10.0.0.0", id="other-address"),
        pytest.param("127.0.0.10", "127.0.0.10", id="longer-address"),
        pytest.param("mylocalhost", "mylocalhost", id="inside-a-word"),
    ],
)
def test_local_hosts_become_the_pod_ip(text: str, expected: str) -> None:
    assert envs.to_pod_ip(text, "198.18.0.7") == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [("500m", 0.5), ("2", 2.0), ("1Gi", 2.0**30), ("1k", 1000.0), ("1e3", 1000.0)],
)
def test_quantity(text: str, value: float) -> None:
    assert envs.quantity(text) == value


def test_bad_quantity_names_the_value() -> None:
    with pytest.raises(errors.PlanError, match="'12Q'"):
        envs.quantity("12Q")


def test_env_from_then_env_in_order_with_expansion_and_references() -> None:
    container = {
        "envFrom": [{"configMapRef": {"name": "cm"}, "prefix": "CFG_"}, {"secretRef": {"name": "creds"}}],
        "env": [
            {"name": "HOST", "value": "0.0.0.0"},
            {"name": "URL", "value": "http://$(HOST):8080/$(CFG_mode)"},
            {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
            {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            {"name": "SA", "valueFrom": {"fieldRef": {"fieldPath": "spec.serviceAccountName"}}},
            {"name": "LEVEL", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "level"}}},
            {"name": "KEY", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "AWS_ACCESS_KEY_ID"}}},
            {"name": "GONE", "valueFrom": {"secretKeyRef": {"name": "missing", "key": "k", "optional": True}}},
        ],
    }
    env = env_of(container)
    assert env["PATH"] == "/bin"
    assert env["CFG_mode"] == "fast"
    assert env["AWS_SECRET_ACCESS_KEY"] == "secret"
    assert env["HOST"] == "198.18.0.7"
    assert env["URL"] == "http://198.18.0.7:8080/fast"
    assert (env["POD"], env["APP"], env["IP"], env["SA"]) == ("p", "x", "198.18.0.7", "sa")
    assert (env["LEVEL"], env["KEY"]) == ("3", "key")
    assert "GONE" not in env


@pytest.mark.parametrize(
    ("container", "message"),
    [
        pytest.param(
            {"env": [{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "nope", "key": "k"}}}]},
            "ConfigMap 'nope' not found",
            id="missing-configmap",
        ),
        pytest.param(
            {"env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "nope"}}}]},
            "Secret 'creds' has no key 'nope'",
            id="missing-key",
        ),
        pytest.param(
            {"env": [{"name": "X", "valueFrom": {"fieldRef": {"fieldPath": "spec.hostname"}}}]},
            "fieldRef 'spec.hostname' is not supported",
            id="unsupported-field",
        ),
        pytest.param({"envFrom": [{"secretRef": {"name": "nope"}}]}, "Secret 'nope' not found", id="missing-env-from"),
    ],
)
def test_missing_references_are_plan_errors_that_say_what_to_do(container: dict, message: str) -> None:
    with pytest.raises(errors.PlanError, match=message):
        env_of(container)


def test_resource_field_ref_uses_limits_then_node_allocatable_with_divisor() -> None:
    container = {"resources": {"requests": {"cpu": "250m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}}}
    assert envs.resource_field(container, {"resource": "requests.cpu", "divisor": "1m"}, node_allocatable={}) == "250"
    assert (
        envs.resource_field(container, {"resource": "limits.memory", "divisor": "1Mi"}, node_allocatable={}) == "2048"
    )
    assert envs.resource_field(container, {"resource": "limits.cpu"}, node_allocatable={"cpu": "32"}) == "32"


def test_command_line_uses_the_entrypoint_when_no_command_and_rewrites_hosts() -> None:
    container = {"args": ["--model_name", "$(NAME)", "--http_host", "0.0.0.0"]}
    argv = envs.command_line(container, entrypoint=["modelplane-runtime"], env={"NAME": "iris"}, pod_ip="198.18.0.7")
    assert argv == ["modelplane-runtime", "--model_name", "iris", "--http_host", "198.18.0.7"]
    with_command = {"command": ["modelplane-storage-init"], "args": ["s3://b/m", "/mnt/models"]}
    argv = envs.command_line(with_command, entrypoint=["modelplane-runtime"], env={}, pod_ip="198.18.0.7")
    assert argv == ["modelplane-storage-init", "s3://b/m", "/mnt/models"]
