"""Turns an API model into the structural OpenAPI v3 schema a CustomResourceDefinition carries.

Pydantic writes JSON Schema (2020-12): `$ref`s into `$defs`, `anyOf [X, null]` for optional fields, titles and
defaults. A CRD needs a structural schema instead: every node typed, references inlined, no null branches, no
defaults (defaulting is ours), and `anyOf` only in Kubernetes' int-or-string form. The conversion is strict: a
construct it does not know is an error, so a new field type cannot slip into a CRD the API server would refuse.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

# Keys copied as they are once their children are converted.
_KEPT = frozenset(
    {
        "type",
        "description",
        "enum",
        "format",
        "minimum",
        "maximum",
        "pattern",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "required",
        "x-kubernetes-int-or-string",
        "x-kubernetes-preserve-unknown-fields",
    }
)
_DROPPED = frozenset({"title", "default"})
_INT_OR_STRING = [{"type": "integer"}, {"type": "string"}]


class SchemaError(Exception):
    """The model uses a construct with no structural OpenAPI form; the message names where."""


def structural_schema(model: type[BaseModel], *, undocumented: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The structural OpenAPI v3 schema of `model`'s JSON form (camelCase keys), ready for a CRD version.

    Models named in `undocumented` lose their own description (Kubernetes core types documented upstream, which
    would otherwise repeat in every container and push the CRD past the 256 KiB `kubectl apply` limit).
    """
    raw = model.model_json_schema(by_alias=True, mode="validation")
    walk = _Walk(defs=raw.get("$defs", {}), undocumented=undocumented)
    return walk.convert(raw, path=model.__name__, seen=())


class _Walk:
    """One conversion: the definitions to inline and the models to leave undescribed."""

    def __init__(self, *, defs: Mapping[str, Any], undocumented: frozenset[str]) -> None:
        self.defs = defs
        self.undocumented = undocumented

    def convert(self, node: Mapping[str, Any], *, path: str, seen: tuple[str, ...]) -> dict[str, Any]:
        if "$ref" in node:
            return self._inline(node, path=path, seen=seen)
        if "anyOf" in node:
            return self._union(node, path=path, seen=seen)
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _DROPPED or key == "$defs":
                continue
            if key == "const":
                out["enum"] = [value]
            elif key == "properties":
                out["properties"] = {
                    name: self.convert(child, path=f"{path}.{name}", seen=seen) for name, child in value.items()
                }
            elif key == "items":
                out["items"] = self.convert(value, path=f"{path}[]", seen=seen)
            elif key == "additionalProperties":
                if isinstance(value, Mapping):
                    out["additionalProperties"] = self.convert(value, path=f"{path}{{}}", seen=seen)
            elif key in _KEPT:
                out[key] = value
            else:
                raise SchemaError(f"{path}: JSON Schema keyword {key!r} has no structural OpenAPI form here")
        if "type" not in out and not out.get("x-kubernetes-preserve-unknown-fields"):
            raise SchemaError(f"{path}: no type; give the field a concrete type")
        return out

    def _inline(self, node: Mapping[str, Any], *, path: str, seen: tuple[str, ...]) -> dict[str, Any]:
        name = str(node["$ref"]).rsplit("/", 1)[-1]
        if name in seen:
            raise SchemaError(f"{path}: {name} refers to itself; structural schemas cannot be recursive")
        target = self.convert(self.defs[name], path=path, seen=(*seen, name))
        if name in self.undocumented:
            target.pop("description", None)
        if "description" in node:
            target["description"] = node["description"]
        return target

    def _union(self, node: Mapping[str, Any], *, path: str, seen: tuple[str, ...]) -> dict[str, Any]:
        branches = [branch for branch in node["anyOf"] if branch != {"type": "null"}]
        if node.get("x-kubernetes-int-or-string") and branches == _INT_OR_STRING:
            out = {key: value for key, value in node.items() if key not in _DROPPED}
            out["anyOf"] = list(_INT_OR_STRING)
            return out
        if len(branches) != 1:
            raise SchemaError(f"{path}: a union of {len(branches)} types has no structural form; use one type")
        merged = dict(branches[0])
        for key, value in node.items():
            if key not in {"anyOf", *_DROPPED}:
                merged[key] = value
        return self.convert(merged, path=path, seen=seen)
