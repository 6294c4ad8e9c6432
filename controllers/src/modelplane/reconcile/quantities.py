"""Kubernetes resource quantities (`512Mi`, `2Gi`, `1.5G`, `100m`) as numbers, for memory accounting."""

from __future__ import annotations

import decimal
import re

from modelplane.reconcile import errors

_SUFFIXES: dict[str, int | decimal.Decimal] = {
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
    "n": decimal.Decimal("1e-9"), "u": decimal.Decimal("1e-6"), "m": decimal.Decimal("1e-3"),
    "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18, "": 1,
}  # fmt: skip
_PATTERN = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$")


def parse(value: str | int | float, *, field: str) -> decimal.Decimal:
    """The quantity as a number of base units; `field` names where it came from in the error."""
    match = _PATTERN.match(str(value).strip())
    if match is None or match.group(2) not in _SUFFIXES:
        raise errors.InvalidSpecError(
            f"{field}: {value!r} is not a Kubernetes quantity; write it like 512Mi, 2Gi or 1G"
        )
    return decimal.Decimal(match.group(1)) * decimal.Decimal(_SUFFIXES[match.group(2)])
