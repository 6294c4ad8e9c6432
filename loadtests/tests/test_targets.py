"""Covers targets: URL and protocol checks, request paths per protocol, and the loopback-only rule."""

from __future__ import annotations

import pytest
from modelplane.loadtest import errors, targets


def _fixed(addresses: list[str]) -> targets.Resolver:
    return lambda host: addresses


@pytest.mark.parametrize(
    ("protocol", "path"),
    [pytest.param("v1", "/v1/models/iris:predict", id="v1"), pytest.param("v2", "/v2/models/iris/infer", id="v2")],
)
def test_paths_follow_the_protocol(protocol: str, path: str) -> None:
    target = targets.parse(url="http://127.0.0.1:8080/", model="iris", protocol=protocol)
    assert target.path == path
    assert target.origin == "http://127.0.0.1:8080"
    assert target.metrics_url == "http://127.0.0.1:8080/metrics"


def test_a_path_prefix_is_kept() -> None:
    target = targets.parse(url="http://127.0.0.1:8080/serving/", model="m", protocol="v1")
    assert target.path == "/serving/v1/models/m:predict"
    assert target.origin == "http://127.0.0.1:8080"


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("http://localhost:8080", id="localhost"),
        pytest.param("http://[::1]:8080", id="ipv6-loopback"),
        pytest.param("http://127.0.0.2:8080", id="other-loopback"),
    ],
)
def test_loopback_hosts_are_allowed(url: str) -> None:
    assert targets.parse(url=url, model="m", protocol="v1").model == "m"


@pytest.mark.parametrize(
    ("url", "addresses"),
    [
        pytest.param("http://10.0.0.5:80", ["10.0.0.5"], id="private-ip"),
        pytest.param("http://example.com", ["93.184.216.34"], id="public-name"),
        pytest.param("http://sneaky.test", ["127.0.0.1", "10.1.1.1"], id="mixed-resolution"),
    ],
)
def test_remote_hosts_are_refused_without_allow_remote(url: str, addresses: list[str]) -> None:
    with pytest.raises(errors.TargetNotAllowed, match="--allow-remote"):
        targets.parse(url=url, model="m", protocol="v1", resolver=_fixed(addresses))


def test_allow_remote_lets_a_remote_host_through_without_resolving() -> None:
    def refuse(host: str) -> list[str]:
        raise AssertionError("must not resolve when remote targets are allowed")

    target = targets.parse(url="http://10.0.0.5", model="m", protocol="v2", allow_remote=True, resolver=refuse)
    assert target.path == "/v2/models/m/infer"


def test_an_unresolvable_name_is_a_clear_error() -> None:
    with pytest.raises(errors.TargetNotAllowed, match="cannot resolve"):
        targets.parse(url="http://no-such-host.invalid", model="m", protocol="v1")


@pytest.mark.parametrize(
    ("url", "model", "protocol", "message"),
    [
        pytest.param("127.0.0.1:8080", "m", "v1", "scheme and host", id="no-scheme"),
        pytest.param("ftp://127.0.0.1", "m", "v1", "scheme and host", id="wrong-scheme"),
        pytest.param("http://127.0.0.1?x=1", "m", "v1", "query", id="query"),
        pytest.param("http://127.0.0.1", "m", "grpc", "protocol", id="protocol"),
        pytest.param("http://127.0.0.1", "a/b", "v1", "model name", id="model-with-slash"),
        pytest.param("http://127.0.0.1", "", "v1", "model name", id="empty-model"),
    ],
)
def test_malformed_targets_are_refused(url: str, model: str, protocol: str, message: str) -> None:
    with pytest.raises(errors.TargetNotAllowed, match=message):
        targets.parse(url=url, model=model, protocol=protocol)
