"""The base class and field types every API model shares.

The models describe JSON objects as the Kubernetes API server stores them: camelCase keys (generated from
snake_case attribute names, or given explicitly where Kubernetes spells a key differently), unknown keys ignored
(the API server prunes them before anything else sees the object), and no defaults written by the types
themselves (defaulting is `modelplane.api.defaulting`'s job, so the CRD schema carries no `default`).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, WithJsonSchema
from pydantic.alias_generators import to_camel

# Kubernetes' IntOrString (ports, quantities, percentages): structural schemas spell it with this exact shape.
IntOrString = Annotated[
    int | str,
    WithJsonSchema({"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]}),
]
# Kubernetes' resource quantity grammar ("1", "500m", "2Gi", "1e3").
QUANTITY_PATTERN = (
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))"
    r"(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)
# A resource quantity: an IntOrString with the quantity grammar.
Quantity = Annotated[
    int | str,
    WithJsonSchema(
        {
            "x-kubernetes-int-or-string": True,
            "anyOf": [{"type": "integer"}, {"type": "string"}],
            "pattern": QUANTITY_PATTERN,
        }
    ),
]


class ApiModel(BaseModel):
    """A JSON object of the Kubernetes API: camelCase keys, unknown keys ignored, every field optional unless said."""

    model_config = ConfigDict(
        extra="ignore",
        alias_generator=to_camel,
        populate_by_name=True,
        protected_namespaces=(),
        use_attribute_docstrings=True,
    )
