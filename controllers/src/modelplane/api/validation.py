"""The admission rules of the four kinds: pure functions from a stored object to the list of what is wrong.

The same code serves the validating webhook and `modelplane migrate`. Shape rules (types, enums, bounds) come
from the API models, which also produce the CRD schema, so the two can never disagree; the cross-field rules
the schema cannot say (exactly one predictor implementation, min <= max replicas, scale metric vs autoscaler
class, immutable deployment mode...) are written here. Every `Violation` names the field and says how to fix it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pydantic
from modelplane.api import base, inferenceservice, modes, servingruntime, settings, trainedmodel
from pydantic import BaseModel

# KServe's InferenceService name format: a DNS-1035 label.
NAME_PATTERN = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
# `<name>-transformer-00001` (a Knative revision) must fit a 63-character DNS label.
NAME_MAX_LENGTH = 45
# DNS-1123 subdomain: serving runtime names.
RUNTIME_NAME_PATTERN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
RUNTIME_NAME_MAX_LENGTH = 253
# DNS-1123 label: TrainedModel names (the model's name inside its server).
LABEL_PATTERN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
LABEL_MAX_LENGTH = 63
# The storage URI prefixes KServe's storage initializer knows.
STORAGE_URI_PREFIXES = (
    "gs://",
    "s3://",
    "pvc://",
    "file://",
    "https://",
    "http://",
    "hdfs://",
    "webhdfs://",
    "hf://",
    "oci://",
)
QUANTITY_PATTERN = re.compile(base.QUANTITY_PATTERN)
# The container name that marks a custom container as the model server (KServe's).
MODEL_SERVER_CONTAINER = "kserve-container"
# Which scale metrics each autoscaler understands.
KPA_METRICS = ("concurrency", "rps")
HPA_METRICS = ("cpu", "memory")


@dataclasses.dataclass(frozen=True)
class Violation:
    """One broken rule: the field's path (as in the manifest) and what is wrong with how to fix it."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def validate_inference_service(
    obj: Mapping[str, Any],
    *,
    old: Mapping[str, Any] | None = None,
    config: settings.Settings | None = None,
) -> list[Violation]:
    """Everything wrong with an InferenceService (`old` is the stored object on update, None on create)."""
    config = config if config is not None else settings.Defaults()
    metadata = _mapping(obj.get("metadata"))
    found = _name_violations(
        metadata, pattern=NAME_PATTERN, max_length=NAME_MAX_LENGTH, kind="an InferenceService", example="my-model"
    )
    found += _annotation_violations(metadata)
    shape = _shape_violations(inferenceservice.InferenceService, obj)
    found += shape
    spec = _mapping(obj.get("spec"))
    predictor = _mapping(spec.get("predictor"))
    # A null component is an absent one (the API server prunes nulls; clients such as SDKs may still send them).
    if spec.get("predictor") is not None:
        found += _predictor_implementation_violations(predictor)
    if spec.get("transformer") is not None:
        found += _containers_required(_mapping(spec.get("transformer")), field="spec.transformer")
    if spec.get("explainer") is not None:
        found += _explainer_violations(_mapping(spec.get("explainer")))
    # The mode in use: the one the controller recorded, else the old annotation or default. Without the annotation
    # a new object keeps the recorded mode (only a recorded one: before that the default would apply).
    recorded = modes.recorded_mode(old)
    old_mode = None
    if old is not None:
        old_mode = recorded or modes.deployment_mode(
            _mapping(old.get("metadata")), default=config.default_deployment_mode
        )
    mode = modes.deployment_mode(metadata, default=recorded or config.default_deployment_mode)
    for component in inferenceservice.COMPONENTS:
        if isinstance(spec.get(component), Mapping):
            found += _component_violations(spec[component], field=f"spec.{component}", metadata=metadata, mode=mode)
    found += _storage_uri_violations(predictor, spec=spec)
    if mode is not None and old_mode is not None and old_mode != mode:
        found.append(
            Violation(
                f"metadata.annotations[{modes.DEPLOYMENT_MODE}]",
                f"the deployment mode cannot change after creation (was {old_mode}, now {mode}): restore "
                f"{old_mode}, or delete the InferenceService and create it again in {mode} mode",
            )
        )
    return _unique(found)


def validate_serving_runtime(
    obj: Mapping[str, Any],
    *,
    old: Mapping[str, Any] | None = None,
    config: settings.Settings | None = None,
) -> list[Violation]:
    """Everything wrong with a ServingRuntime or ClusterServingRuntime (the two share one schema)."""
    del old, config  # no rule of a serving runtime depends on the stored object or the controller's config
    metadata = _mapping(obj.get("metadata"))
    found = _name_violations(
        metadata,
        pattern=RUNTIME_NAME_PATTERN,
        max_length=RUNTIME_NAME_MAX_LENGTH,
        kind="a serving runtime",
        example="sklearn-runtime",
    )
    found += _shape_violations(servingruntime.ServingRuntime, obj)
    spec = _mapping(obj.get("spec"))
    containers = spec.get("containers")
    if isinstance(containers, list):
        if not containers:
            found.append(Violation("spec.containers", "needs at least one container: add the model server container"))
        for index, container in enumerate(containers):
            if isinstance(container, Mapping) and not container.get("image"):
                found.append(Violation(f"spec.containers[{index}].image", "is required: set the model server's image"))
    formats = spec.get("supportedModelFormats")
    seen: set[tuple[str, str]] = set()
    for index, item in enumerate(formats if isinstance(formats, list) else []):
        if not isinstance(item, Mapping):
            continue
        field = f"spec.supportedModelFormats[{index}]"
        name = item.get("name")
        if isinstance(name, str) and not name.strip():
            found.append(Violation(f"{field}.name", "must not be empty: name the model format (for example sklearn)"))
        key = (str(name), str(item.get("version", "")))
        if key in seen:
            found.append(
                Violation(field, f"format {key[0]!r} version {key[1] or '(any)'!r} is listed twice: remove one entry")
            )
        seen.add(key)
    protocols = spec.get("protocolVersions")
    if isinstance(protocols, list) and len(set(map(str, protocols))) != len(protocols):
        found.append(Violation("spec.protocolVersions", "lists a protocol twice: keep each protocol once"))
    return _unique(found)


def validate_trained_model(
    obj: Mapping[str, Any],
    *,
    old: Mapping[str, Any] | None = None,
    config: settings.Settings | None = None,
) -> list[Violation]:
    """Everything wrong with a TrainedModel (`old` is the stored object on update, None on create)."""
    del config  # no rule of a TrainedModel depends on the controller's config
    metadata = _mapping(obj.get("metadata"))
    found = _name_violations(
        metadata, pattern=LABEL_PATTERN, max_length=LABEL_MAX_LENGTH, kind="a TrainedModel", example="iris-v2"
    )
    found += _shape_violations(trainedmodel.TrainedModel, obj)
    spec = _mapping(obj.get("spec"))
    parent = spec.get("inferenceService")
    if isinstance(parent, str) and not NAME_PATTERN.match(parent):
        found.append(
            Violation(
                "spec.inferenceService",
                f"{parent!r} is not an InferenceService name: give the name of the parent InferenceService in the "
                "same namespace (lower-case letters, digits and '-')",
            )
        )
    model = _mapping(spec.get("model"))
    uri = model.get("storageUri")
    if isinstance(uri, str):
        found += _storage_uri_violation(uri, field="spec.model.storageUri")
    framework = model.get("framework")
    if isinstance(framework, str) and not framework.strip():
        found.append(
            Violation("spec.model.framework", "must not be empty: name the model format (for example sklearn)")
        )
    memory = model.get("memory")
    if isinstance(memory, (str, int)) and not isinstance(memory, bool):
        text = str(memory)
        if not QUANTITY_PATTERN.match(text) or text.startswith("-") or _is_zero(text):
            found.append(
                Violation(
                    "spec.model.memory",
                    f"{text!r} is not a positive memory quantity: write it like 256Mi or 1Gi",
                )
            )
    if old is not None:
        old_spec = _mapping(old.get("spec"))
        old_memory = _mapping(old_spec.get("model")).get("memory")
        if old_memory is not None and str(old_memory) != str(memory):
            found.append(
                Violation(
                    "spec.model.memory",
                    f"cannot change after creation (was {old_memory}): delete the TrainedModel and create it again "
                    "with the new memory",
                )
            )
        old_parent = old_spec.get("inferenceService")
        if old_parent is not None and old_parent != parent:
            found.append(
                Violation(
                    "spec.inferenceService",
                    f"cannot change after creation (was {old_parent}): delete the TrainedModel and create it under "
                    "the other InferenceService",
                )
            )
    return _unique(found)


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _unique(found: Sequence[Violation]) -> list[Violation]:
    return list(dict.fromkeys(found))


def _is_zero(quantity: str) -> bool:
    digits = re.match(r"^\+?([0-9.]*)", quantity)
    return digits is not None and digits.group(1) != "" and float(digits.group(1) or "0") == 0


def _name_violations(
    metadata: Mapping[str, Any], *, pattern: re.Pattern[str], max_length: int, kind: str, example: str
) -> list[Violation]:
    name = metadata.get("name")
    if name is None:
        if metadata.get("generateName"):
            return []
        return [Violation("metadata.name", f"is required: name {kind} (for example {example})")]
    if not isinstance(name, str) or not pattern.match(name):
        return [
            Violation(
                "metadata.name",
                f"{name!r} is not a valid name for {kind}: use lower-case letters, digits and '-', starting with a "
                f"letter and ending with a letter or digit (for example {example})",
            )
        ]
    if len(name) > max_length:
        return [
            Violation(
                "metadata.name",
                f"{name!r} has {len(name)} characters: shorten it to at most {max_length}, so the names of its "
                "children fit in a 63-character DNS label",
            )
        ]
    return []


def _annotation_violations(metadata: Mapping[str, Any]) -> list[Violation]:
    found = []
    values = _mapping(metadata.get("annotations"))
    for key, allowed in (
        (modes.DEPLOYMENT_MODE, modes.DEPLOYMENT_MODES),
        (modes.AUTOSCALER_CLASS, modes.AUTOSCALER_CLASSES),
        (modes.KNATIVE_AUTOSCALER_CLASS, modes.KNATIVE_AUTOSCALER_CLASSES),
    ):
        value = values.get(key)
        if value is not None and value not in allowed:
            found.append(
                Violation(
                    f"metadata.annotations[{key}]", f"{value!r} is not supported: use one of {', '.join(allowed)}"
                )
            )
    return found


def _predictor_implementation_violations(predictor: Mapping[str, Any]) -> list[Violation]:
    chosen = [name for name in (*inferenceservice.FRAMEWORKS, "model") if predictor.get(name) is not None]
    containers = predictor.get("containers")
    # Beside a framework or `model`, containers are sidecars (KServe's transformer collocation) unless one of them
    # claims to be the model server by its name.
    if containers and (not chosen or _names_model_server(containers)):
        chosen.append("containers")
    if len(chosen) == 1:
        if chosen == ["containers"]:
            return _containers_required(predictor, field="spec.predictor")
        return []
    choices = f"a framework field ({', '.join(inferenceservice.FRAMEWORKS)}), `model`, or custom `containers`"
    if not chosen:
        return [Violation("spec.predictor", f"has no implementation: set exactly one of {choices}")]
    return [
        Violation(
            "spec.predictor",
            f"has {len(chosen)} implementations ({', '.join(chosen)}): keep exactly one of {choices}",
        )
    ]


def _names_model_server(containers: object) -> bool:
    return isinstance(containers, list) and any(
        isinstance(container, Mapping) and container.get("name") == MODEL_SERVER_CONTAINER for container in containers
    )


def _containers_required(component: Mapping[str, Any], *, field: str) -> list[Violation]:
    containers = component.get("containers")
    if not isinstance(containers, list) or not containers:
        return [Violation(f"{field}.containers", "needs at least one container: add the container that serves it")]
    first = containers[0]
    if isinstance(first, Mapping) and not first.get("image"):
        return [Violation(f"{field}.containers[0].image", "is required: set the container's image")]
    return []


def _explainer_violations(explainer: Mapping[str, Any]) -> list[Violation]:
    if explainer.get("art") is not None:
        if explainer.get("containers"):
            return [Violation("spec.explainer", "has both `art` and `containers`: keep exactly one")]
        return []
    return _containers_required(explainer, field="spec.explainer")


def _component_violations(
    component: Mapping[str, Any], *, field: str, metadata: Mapping[str, Any], mode: str | None
) -> list[Violation]:
    found = []
    low, high = _int(component.get("minReplicas")), _int(component.get("maxReplicas"))
    if low is not None and high is not None and high != 0 and low > high:
        found.append(
            Violation(
                f"{field}.minReplicas",
                f"is {low}, more than maxReplicas {high}: lower minReplicas or raise maxReplicas (0 = no upper bound)",
            )
        )
    metric, target = component.get("scaleMetric"), _int(component.get("scaleTarget"))
    autoscaler = modes.autoscaler(metadata, mode=mode)
    if autoscaler in ("kpa", "knative-hpa", "hpa", "keda"):
        allowed = KPA_METRICS if autoscaler == "kpa" else HPA_METRICS
        if isinstance(metric, str) and metric in (*KPA_METRICS, *HPA_METRICS) and metric not in allowed:
            found.append(
                Violation(
                    f"{field}.scaleMetric",
                    f"{metric!r} does not work with the {modes.AUTOSCALER_NAMES[autoscaler]}: use "
                    f"{' or '.join(allowed)}, or change the autoscaler class",
                )
            )
        utilisation = component.get("scaleMetricType") in (None, "Utilization")
        if (
            autoscaler != "kpa"
            and metric in (None, "cpu")
            and utilisation
            and target is not None
            and not 1 <= target <= 100
        ):
            found.append(
                Violation(
                    f"{field}.scaleTarget",
                    f"is {target}, but a CPU utilisation target is a percentage: use a value from 1 to 100",
                )
            )
    return found


def _storage_uri_violations(predictor: Mapping[str, Any], *, spec: Mapping[str, Any]) -> list[Violation]:
    found = []
    for name in (*inferenceservice.FRAMEWORKS, "model"):
        uri = _mapping(predictor.get(name)).get("storageUri")
        if isinstance(uri, str):
            found += _storage_uri_violation(uri, field=f"spec.predictor.{name}.storageUri")
    art_uri = _mapping(_mapping(spec.get("explainer")).get("art")).get("storageUri")
    if isinstance(art_uri, str):
        found += _storage_uri_violation(art_uri, field="spec.explainer.art.storageUri")
    return found


def _storage_uri_violation(uri: str, *, field: str) -> list[Violation]:
    if any(uri.startswith(prefix) and len(uri) > len(prefix) for prefix in STORAGE_URI_PREFIXES):
        return []
    return [
        Violation(
            field,
            f"{uri!r} is not a storage URI Modelplane can fetch: start it with one of "
            f"{', '.join(STORAGE_URI_PREFIXES)} followed by the location",
        )
    ]


def _int(value: object) -> int | None:
    """`value` when it is an integer (not a bool), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _shape_violations(model: type[BaseModel], obj: Mapping[str, Any]) -> list[Violation]:
    try:
        model.model_validate(obj, strict=True)
    except pydantic.ValidationError as error:
        found: list[Violation] = []
        # Each member of an `int | str` union reports on its own; say them as one "an integer or a string".
        union_kinds: dict[str, list[str]] = {}
        union_values: dict[str, object] = {}
        for detail in error.errors(include_url=False):
            loc = [part for part in detail["loc"] if part not in _UNION_TAGS]
            path = _path(loc)
            if len(loc) != len(detail["loc"]) and detail["type"] in _KINDS:
                union_kinds.setdefault(path, []).append(_KINDS[detail["type"]])
                union_values[path] = detail.get("input")
                continue
            found.append(Violation(path, _message(detail)))
        for path, kinds in union_kinds.items():
            wanted = " or ".join(dict.fromkeys(kinds))
            value = union_values[path]
            found.append(
                Violation(path, f"must be {wanted}, got {type(value).__name__} {value!r}: change it to {wanted}")
            )
        return found
    return []


# Segments pydantic adds to an error's location for the member of a union (int | str) that failed.
_UNION_TAGS = frozenset({"int", "str"})
# Type errors by pydantic error type, as the kind of value wanted.
_KINDS = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "string_type": "a string",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
}


def _path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            out += f".{part}" if out else part
        else:
            out += f"[{part}]"
    return out or "(object)"


def _message(detail: Mapping[str, Any]) -> str:
    kind, ctx, value = detail["type"], detail.get("ctx", {}), detail.get("input")
    if kind == "missing":
        return "is required: add it"
    if kind == "greater_than_equal":
        return f"is {value!r}, below the minimum {ctx['ge']}: use {ctx['ge']} or more"
    if kind == "less_than_equal":
        return f"is {value!r}, above the maximum {ctx['le']}: use {ctx['le']} or less"
    if kind == "literal_error":
        return f"is {value!r}: use one of {ctx['expected']}"
    if kind in _KINDS:
        return f"must be {_KINDS[kind]}, got {type(value).__name__} {value!r}: change it to {_KINDS[kind]}"
    return f"{detail['msg']}: fix the value {value!r}"
