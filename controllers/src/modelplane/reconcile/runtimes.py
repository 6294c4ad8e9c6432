"""Which serving runtime serves a predictor: KServe's selection rules over ServingRuntimes and ClusterServingRuntimes.

A predictor names a model format (directly in `model.modelFormat`, or through a legacy framework field such as
`sklearn:` that maps onto a format). A runtime fits when it is not disabled, supports the protocol, and lists the
format (and version, when the predictor gives one) in `supportedModelFormats` with `autoSelect` - or is named
explicitly in `model.runtime`. Namespaced runtimes are preferred to cluster ones; within each, higher `priority`
wins, then the name in alphabetical order so the choice is stable.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from modelplane.reconcile import errors
from modelplane.reconcile.observed import Manifest

#: Legacy framework fields of a predictor and the model format each means.
LEGACY_FRAMEWORKS: dict[str, str] = {
    "sklearn": "sklearn",
    "xgboost": "xgboost",
    "tensorflow": "tensorflow",
    "pytorch": "pytorch",
    "onnx": "onnx",
    "triton": "triton",
    "lightgbm": "lightgbm",
    "pmml": "pmml",
    "paddle": "paddle",
    "huggingface": "huggingface",
}

#: Fields of a predictor that are not its implementation (the component extension and pod fields).
_COMPONENT_FIELDS = frozenset(
    {
        "minReplicas",
        "maxReplicas",
        "scaleTarget",
        "scaleMetric",
        "containerConcurrency",
        "timeout",
        "canaryTrafficPercent",
        "logger",
        "batcher",
        "labels",
        "annotations",
        "serviceAccountName",
        "nodeSelector",
        "tolerations",
        "affinity",
        "volumes",
        "imagePullSecrets",
        "deploymentStrategy",
        "workerSpec",
        "priorityClassName",
        "schedulerName",
        "securityContext",
        "initContainers",
        "runtimeClassName",
        "hostIPC",
        "hostNetwork",
        "dnsPolicy",
        "terminationGracePeriodSeconds",
    }
)


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """A predictor's model, whichever way it was written."""

    format_name: str
    format_version: str | None
    runtime: str | None
    protocol: str
    storage_uri: str | None
    container: Mapping[str, Any]
    source_field: str


@dataclasses.dataclass(frozen=True)
class Selection:
    """The runtime chosen for a predictor."""

    name: str
    kind: str
    spec: Mapping[str, Any]


def model_spec(predictor: Mapping[str, Any]) -> ModelSpec | None:
    """The predictor's model, or None when it is a custom-container predictor (`containers:`) that needs no runtime."""
    model = predictor.get("model")
    if isinstance(model, Mapping):
        fmt = model.get("modelFormat") or {}
        return ModelSpec(
            format_name=str(fmt.get("name", "")),
            format_version=None if fmt.get("version") is None else str(fmt["version"]),
            runtime=model.get("runtime"),
            protocol=str(model.get("protocolVersion") or "v1"),
            storage_uri=model.get("storageUri"),
            container=_container_fields(model, drop=("modelFormat", "runtime", "protocolVersion", "storageUri")),
            source_field="spec.predictor.model",
        )
    for field, fmt_name in LEGACY_FRAMEWORKS.items():
        legacy = predictor.get(field)
        if isinstance(legacy, Mapping):
            return ModelSpec(
                format_name=fmt_name,
                format_version=None,
                runtime=None,
                protocol=str(legacy.get("protocolVersion") or "v1"),
                storage_uri=legacy.get("storageUri"),
                container=_container_fields(legacy, drop=("protocolVersion", "storageUri", "runtimeVersion")),
                source_field=f"spec.predictor.{field}",
            )
    return None


def _container_fields(spec: Mapping[str, Any], *, drop: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in spec.items() if k not in drop and k not in _COMPONENT_FIELDS}


def _protocols(runtime: Manifest) -> list[str]:
    return [str(p) for p in runtime.get("spec", {}).get("protocolVersions") or ["v1"]]


def _format_priority(runtime: Manifest, model: ModelSpec, *, need_auto_select: bool) -> int | None:
    """The priority this runtime offers for the model's format, or None when it does not offer it."""
    best: int | None = None
    for fmt in runtime.get("spec", {}).get("supportedModelFormats") or []:
        if fmt.get("name") != model.format_name:
            continue
        if need_auto_select and not fmt.get("autoSelect", False):
            continue
        version = fmt.get("version")
        if model.format_version is not None and (
            version is None or not (model.format_version == version or model.format_version.startswith(f"{version}."))
        ):
            continue
        priority = int(fmt.get("priority", 0))
        best = priority if best is None else max(best, priority)
    return best


def _why_not(runtime: Manifest, model: ModelSpec) -> str | None:
    """Why a named runtime cannot serve the model, or None when it can."""
    spec = runtime.get("spec", {})
    name = runtime["metadata"]["name"]
    if spec.get("disabled", False):
        return f"runtime {name!r} is disabled"
    if model.protocol not in _protocols(runtime):
        supported = ", ".join(_protocols(runtime))
        return f"runtime {name!r} does not support protocol {model.protocol!r} (it supports {supported})"
    if _format_priority(runtime, model, need_auto_select=False) is None:
        version = f" version {model.format_version}" if model.format_version else ""
        return f"runtime {name!r} does not list model format {model.format_name!r}{version} in supportedModelFormats"
    return None


def select(*, model: ModelSpec, runtimes: tuple[Manifest, ...], cluster_runtimes: tuple[Manifest, ...]) -> Selection:
    """Pick the runtime for `model` or raise `NoRuntimeError` saying why none fits."""
    if model.runtime:
        for kind, group in (("ServingRuntime", runtimes), ("ClusterServingRuntime", cluster_runtimes)):
            for runtime in group:
                if runtime["metadata"]["name"] == model.runtime:
                    problem = _why_not(runtime, model)
                    if problem is not None:
                        raise errors.NoRuntimeError(
                            f"{model.source_field}.runtime: {problem}; name another runtime or fix this one",
                            reason="RuntimeNotRecognized",
                        )
                    return Selection(name=model.runtime, kind=kind, spec=runtime["spec"])
        raise errors.NoRuntimeError(
            f"{model.source_field}.runtime: no ServingRuntime or ClusterServingRuntime named {model.runtime!r} exists; "
            "create it or remove the field to let the controller choose",
            reason="RuntimeNotRecognized",
        )
    for kind, group in (("ServingRuntime", runtimes), ("ClusterServingRuntime", cluster_runtimes)):
        candidates: list[tuple[int, str, Manifest]] = []
        for runtime in group:
            spec = runtime.get("spec", {})
            if spec.get("disabled", False) or model.protocol not in _protocols(runtime):
                continue
            priority = _format_priority(runtime, model, need_auto_select=True)
            if priority is not None:
                candidates.append((priority, runtime["metadata"]["name"], runtime))
        if candidates:
            candidates.sort(key=lambda c: (-c[0], c[1]))
            _, name, chosen = candidates[0]
            return Selection(name=name, kind=kind, spec=chosen["spec"])
    version = f" version {model.format_version}" if model.format_version else ""
    raise errors.NoRuntimeError(
        f"no enabled ServingRuntime or ClusterServingRuntime supports model format {model.format_name!r}{version} "
        f"with protocol {model.protocol!r} and autoSelect; install one, or name one in {model.source_field}.runtime"
    )
