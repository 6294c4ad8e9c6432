"""Adding and removing pod addresses on the host's loopback device (`ip addr add ADDRESS/32 dev lo`).

An address on `lo` is local to the machine: processes can bind it and connect to it, and nothing routes it
elsewhere. The agent adds a pod's address before the pod's processes start and removes it when the pod ends.
"""

from __future__ import annotations

import ipaddress
import subprocess

from modelplane.devcluster import errors

DEVICE = "lo"


def _ip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=False)


def present(pool: ipaddress.IPv4Network) -> set[str]:
    """Addresses of `pool` that are on the loopback device now."""
    result = _ip("-4", "-o", "addr", "show", "dev", DEVICE)
    found = set()
    for line in result.stdout.splitlines():
        parts = line.split()
        if "inet" in parts:
            address = parts[parts.index("inet") + 1].split("/")[0]
            if ipaddress.IPv4Address(address) in pool:
                found.add(address)
    return found


def add(address: str) -> None:
    """Put `address` on the loopback device (no-op when it is there)."""
    result = _ip("addr", "replace", f"{address}/32", "dev", DEVICE)
    if result.returncode != 0:
        raise errors.SetupError(
            f"could not add pod address {address} to {DEVICE}: {result.stderr.strip()}; the process node needs root "
            "with CAP_NET_ADMIN, or a --pod-cidr inside 127.0.0.0/8 (Services then get no endpoints)"
        )


def remove(address: str) -> None:
    """Take `address` off the loopback device (no-op when it is not there)."""
    _ip("addr", "del", f"{address}/32", "dev", DEVICE)
