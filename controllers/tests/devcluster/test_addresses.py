"""Covers devcluster.addresses: pool parsing (allowed ranges, size, the host's own address) and allocation order."""

from __future__ import annotations

import ipaddress

import pytest
from modelplane.devcluster import addresses, errors


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("not-a-net", "not an IPv4 network", id="garbage"),
        pytest.param("8.8.8.0/24", "not a private or reserved range", id="public"),
        pytest.param("198.18.0.0/31", "too small", id="tiny"),
        pytest.param("127.0.0.0/16", "holds 127.0.0.1", id="host-address"),
        pytest.param("198.18.0.1/16", "not an IPv4 network", id="host-bits-set"),
    ],
)
def test_bad_pools_are_rejected_with_the_fix(text: str, message: str) -> None:
    with pytest.raises(errors.PlanError, match=message):
        addresses.parse_pool(text)


def test_default_pool_needs_device_addresses_but_loopback_does_not() -> None:
    assert addresses.needs_device_address(addresses.parse_pool(addresses.DEFAULT_POOL))
    assert not addresses.needs_device_address(addresses.parse_pool("127.1.0.0/16"))


def test_allocation_takes_the_lowest_free_address_and_skips_dot_zero_and_dot_255() -> None:
    pool = ipaddress.IPv4Network("198.18.0.0/23")
    assert addresses.allocate(pool=pool, used=[]) == "198.18.0.1"
    assert addresses.allocate(pool=pool, used=["198.18.0.1", "198.18.0.3"]) == "198.18.0.2"
    used = [f"198.18.0.{i}" for i in range(1, 255)]
    assert addresses.allocate(pool=pool, used=used) == "198.18.1.1"


def test_an_exhausted_pool_says_how_to_fix_it() -> None:
    pool = ipaddress.IPv4Network("198.18.0.0/30")
    with pytest.raises(errors.AddressPoolExhausted, match="--pod-cidr"):
        addresses.allocate(pool=pool, used=["198.18.0.1", "198.18.0.2"])
