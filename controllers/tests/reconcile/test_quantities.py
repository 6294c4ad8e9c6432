"""Tests of Kubernetes quantity parsing for memory accounting: binary and decimal suffixes, milli, and the error."""

from __future__ import annotations

import decimal

import pytest
from modelplane.reconcile import errors, quantities


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("512Mi", 512 * 2**20),
        ("2Gi", 2 * 2**30),
        ("1G", 10**9),
        ("1.5k", 1500),
        ("100m", decimal.Decimal("0.1")),
        ("7", 7),
    ],
    ids=["mebibytes", "gibibytes", "gigabytes", "fractional-kilo", "milli", "plain"],
)
def test_parse(text: str, value: int | decimal.Decimal) -> None:
    assert quantities.parse(text, field="f") == value


def test_bad_quantity_names_the_field() -> None:
    with pytest.raises(errors.InvalidSpecError, match=r"spec.model.memory: 'lots' is not a Kubernetes quantity"):
        quantities.parse("lots", field="spec.model.memory")
