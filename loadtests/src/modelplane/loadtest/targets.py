"""Where a load test sends its requests, and the rule that keeps it off other people's machines.

A `Target` is an InferenceService endpoint: a base URL (scheme, host, port and an optional path prefix), a model
name and a protocol (`v1` sends `/v1/models/{m}:predict`, `v2` sends `/v2/models/{m}/infer`). A run refuses any
host that does not resolve only to loopback addresses unless the caller passes `allow_remote=True` (the command
line's `--allow-remote`): load tests are bounded, but they are still load.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import socket
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any

from modelplane.loadtest import errors

PROTOCOLS = ("v1", "v2")

Resolver = Callable[[str], Sequence[str]]


@dataclasses.dataclass(frozen=True, slots=True)
class Target:
    base_url: str
    model: str
    protocol: str
    host_header: str | None = None

    @property
    def path(self) -> str:
        prefix = urllib.parse.urlsplit(self.base_url).path.rstrip("/")
        if self.protocol == "v1":
            return f"{prefix}/v1/models/{self.model}:predict"
        return f"{prefix}/v2/models/{self.model}/infer"

    @property
    def origin(self) -> str:
        """Scheme, host and port: what locust calls the host."""
        parts = urllib.parse.urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def metrics_url(self) -> str:
        return f"{self.origin}/metrics"


def resolve(host: str) -> list[str]:
    """Every address `host` resolves to (an IP literal resolves to itself)."""
    try:
        infos: list[Any] = socket.getaddrinfo(host, None)
    except socket.gaierror as exc:
        raise errors.TargetNotAllowed(
            f"cannot resolve host {host!r}: {exc}; use an IP address such as 127.0.0.1"
        ) from exc
    return sorted({str(info[4][0]) for info in infos})


def parse(
    *,
    url: str,
    model: str,
    protocol: str,
    allow_remote: bool = False,
    host_header: str | None = None,
    resolver: Resolver = resolve,
) -> Target:
    """A checked `Target`; raises `TargetNotAllowed` for a malformed URL or a remote host without `allow_remote`."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise errors.TargetNotAllowed(f"target URL {url!r} must look like http://127.0.0.1:8080 (scheme and host)")
    if parts.query or parts.fragment:
        raise errors.TargetNotAllowed(f"target URL {url!r} must not carry a query or fragment; give the base URL only")
    if protocol not in PROTOCOLS:
        raise errors.TargetNotAllowed(f"protocol {protocol!r} is not one of {', '.join(PROTOCOLS)}")
    if not model or "/" in model:
        raise errors.TargetNotAllowed(f"model name {model!r} must be non-empty and contain no '/'")
    if not allow_remote:
        addresses = resolver(parts.hostname)
        remote = [address for address in addresses if not ipaddress.ip_address(address.split("%")[0]).is_loopback]
        if not addresses or remote:
            raise errors.TargetNotAllowed(
                f"host {parts.hostname!r} resolves to {', '.join(remote or ['nothing'])}, which is not loopback; "
                "load tests target 127.0.0.1 unless you pass --allow-remote for an endpoint you are allowed to load"
            )
    return Target(base_url=url.rstrip("/"), model=model, protocol=protocol, host_header=host_header)
