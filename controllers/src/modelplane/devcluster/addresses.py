"""Pod IPs on the process node: each pod gets its own address, so many pods can listen on the same port.

The API server rejects loopback addresses (127.0.0.0/8) in EndpointSlices, so the default pool is 198.18.0.0/16
(reserved for benchmarking, never routed on the internet): the agent adds each pod's address to the host's
loopback device as a /32 while the pod runs, and removes it afterwards. Traffic to these addresses never leaves
the machine. A pool inside 127.0.0.0/8 also works for processes, but Services then get no endpoints.

Allocation is pure: the lowest free host of the pool, skipping addresses that end in .0 or .255.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection

from modelplane.devcluster import errors

DEFAULT_POOL = "198.18.0.0/16"
LOOPBACK = ipaddress.IPv4Network("127.0.0.0/8")
ALLOWED = tuple(
    ipaddress.IPv4Network(net)
    for net in ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "198.18.0.0/15", "100.64.0.0/10")
)


def parse_pool(text: str) -> ipaddress.IPv4Network:
    """The pool as a network: private or reserved, never holding 127.0.0.1, with room for pods."""
    try:
        pool = ipaddress.IPv4Network(text, strict=True)
    except ValueError as exc:
        raise errors.PlanError(
            f"pod address pool {text!r} is not an IPv4 network ({exc}); write it as {DEFAULT_POOL}"
        ) from exc
    if not any(pool.subnet_of(net) for net in ALLOWED):
        raise errors.PlanError(
            f"pod address pool {text!r} is not a private or reserved range; use one inside "
            f"{', '.join(str(n) for n in ALLOWED)}, such as {DEFAULT_POOL}"
        )
    if pool.prefixlen > 30:
        raise errors.PlanError(f"pod address pool {text!r} is too small; use a /30 or larger, such as {DEFAULT_POOL}")
    if ipaddress.IPv4Address("127.0.0.1") in pool:
        raise errors.PlanError(f"pod address pool {text!r} holds 127.0.0.1, the host's own address; use {DEFAULT_POOL}")
    return pool


def needs_device_address(pool: ipaddress.IPv4Network) -> bool:
    """True when pod addresses must be added to the loopback device (all of 127.0.0.0/8 is there already)."""
    return not pool.subnet_of(LOOPBACK)


def allocate(*, pool: ipaddress.IPv4Network, used: Collection[str]) -> str:
    """The lowest address of `pool` that is not in `used`; raises AddressPoolExhausted when none is left."""
    taken = set(used)
    for host in pool.hosts():
        last = int(host) & 0xFF
        if last in (0, 255):
            continue
        text = str(host)
        if text not in taken:
            return text
    raise errors.AddressPoolExhausted(
        f"all addresses of {pool} are held by pods; delete some pods or start the node with a larger --pod-cidr"
    )
