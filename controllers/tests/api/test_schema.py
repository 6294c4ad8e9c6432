"""Tests for modelplane.api.schema: pydantic models to structural OpenAPI v3.

Covers: references inlined, optional fields without null branches, titles and defaults dropped, Literal as enum,
bounds kept, dict values as additionalProperties, int-or-string in Kubernetes' form, undocumented models losing
their descriptions, and clear SchemaErrors for recursion, real unions and untyped fields.
"""

from __future__ import annotations

from typing import Literal

import pytest
from modelplane.api import schema
from modelplane.api.base import ApiModel, IntOrString
from pydantic import BaseModel, Field


class Inner(ApiModel):
    """An inner object."""

    size_limit: int = Field(ge=1, le=10)


class Outer(ApiModel):
    """An outer object."""

    inner: Inner | None = None
    """The inner one."""
    mode: Literal["a", "b"] | None = None
    only: Literal["x"] = "x"
    labels: dict[str, str] | None = None
    port: IntOrString | None = None
    items: list[Inner] | None = None


def test_outer_converts_to_a_structural_schema() -> None:
    out = schema.structural_schema(Outer)
    assert out == {
        "type": "object",
        "description": "An outer object.",
        "properties": {
            "inner": {
                "type": "object",
                "description": "The inner one.",
                "properties": {"sizeLimit": {"type": "integer", "minimum": 1, "maximum": 10}},
                "required": ["sizeLimit"],
            },
            "mode": {"type": "string", "enum": ["a", "b"]},
            "only": {"type": "string", "enum": ["x"]},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "port": {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]},
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "description": "An inner object.",
                    "properties": {"sizeLimit": {"type": "integer", "minimum": 1, "maximum": 10}},
                    "required": ["sizeLimit"],
                },
            },
        },
    }


def test_undocumented_models_lose_their_own_description_only() -> None:
    out = schema.structural_schema(Outer, undocumented=frozenset({"Inner"}))
    assert out["properties"]["inner"]["description"] == "The inner one."
    assert "description" not in out["properties"]["items"]["items"]


class Node(BaseModel):
    child: Node | None = None


class Either(BaseModel):
    value: int | list[int]


class Untyped(BaseModel):
    value: object


@pytest.mark.parametrize(
    ("model", "message"),
    [
        pytest.param(Node, "refers to itself", id="recursive"),
        pytest.param(Either, "union of 2 types", id="union"),
        pytest.param(Untyped, "no type", id="untyped"),
    ],
)
def test_unsupported_constructs_raise(model: type[BaseModel], message: str) -> None:
    with pytest.raises(schema.SchemaError, match=message):
        schema.structural_schema(model)
