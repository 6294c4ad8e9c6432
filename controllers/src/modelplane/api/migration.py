"""Rewrites KFServing-era InferenceServices (`serving.kubeflow.org`) into `serving.kserve.io/v1beta1`, in place.

`serving.kubeflow.org/v1beta1` has v1beta1's schema, so only the group changes. `v1alpha2` nests components
under `default` (and `canary` + `canaryTrafficPercent`): the default components become the v1beta1 components;
with a canary, the canary's components become them instead, each with `canaryTrafficPercent`, because in
v1beta1 the canary is the newest revision and the rest of the traffic stays on the previously rolled-out one
(which must be the default spec: see docs/api.md for the two-step rollout). Within a component, a framework
spec keeps its fields, `custom.container` becomes `containers: [container]` and `parallelism` becomes
`containerConcurrency`.

The functions edit the mapping they are given (a ruamel.yaml round-trip map keeps its comments and key order
that way) and return notes for the user; a manifest with no v1beta1 equivalent raises `MigrationError`.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

KFSERVING_GROUP = "serving.kubeflow.org"
KSERVE_API_VERSION = "serving.kserve.io/v1beta1"
KIND = "InferenceService"
V1ALPHA2_FRAMEWORKS = ("tensorflow", "triton", "sklearn", "xgboost", "onnx", "pytorch", "lightgbm", "pmml")


class MigrationError(Exception):
    """The manifest cannot be rewritten; the message says which field and what to do instead."""


def needs_migration(document: object) -> bool:
    """Whether `document` is an InferenceService of the KFServing group."""
    return (
        isinstance(document, MutableMapping)
        and document.get("kind") == KIND
        and str(document.get("apiVersion", "")).startswith(f"{KFSERVING_GROUP}/")
    )


def migrate_inference_service(document: MutableMapping[str, Any], *, default_only: bool = False) -> list[str]:
    """Rewrite one KFServing InferenceService into v1beta1 in place; returns notes about choices made.

    With `default_only`, a v1alpha2 canary is dropped and only the default spec is kept: the first step of moving
    a live canary (docs/api.md, 'Migrating a canary').
    """
    api_version = str(document.get("apiVersion"))
    if api_version == f"{KFSERVING_GROUP}/v1beta1":
        notes: list[str] = []
    elif api_version == f"{KFSERVING_GROUP}/v1alpha2":
        notes = _migrate_v1alpha2_spec(document, default_only=default_only)
    else:
        raise MigrationError(
            f"apiVersion {api_version} is not one `modelplane migrate` knows: it converts "
            f"{KFSERVING_GROUP}/v1alpha2 and {KFSERVING_GROUP}/v1beta1"
        )
    document["apiVersion"] = KSERVE_API_VERSION
    notes += _rename_kfserving_keys(document)
    return notes


def _rename_kfserving_keys(document: MutableMapping[str, Any]) -> list[str]:
    notes: list[str] = []
    metadata = document.get("metadata")
    if not isinstance(metadata, MutableMapping):
        return notes
    for section in ("annotations", "labels"):
        values = metadata.get(section)
        if not isinstance(values, MutableMapping):
            continue
        for key in [key for key in values if str(key).startswith(f"{KFSERVING_GROUP}/")]:
            new_key = "serving.kserve.io/" + str(key).split("/", 1)[1]
            values[new_key] = values.pop(key)
            notes.append(f"metadata.{section}: renamed {key} to {new_key}")
    return notes


def _migrate_v1alpha2_spec(document: MutableMapping[str, Any], *, default_only: bool) -> list[str]:
    spec = document.get("spec")
    if not isinstance(spec, MutableMapping):
        raise MigrationError("spec is missing or not a mapping: a v1alpha2 InferenceService needs spec.default")
    default = spec.get("default")
    if not isinstance(default, MutableMapping):
        raise MigrationError("spec.default is missing: a v1alpha2 InferenceService needs spec.default.predictor")
    canary = spec.get("canary")
    percent = spec.get("canaryTrafficPercent")
    unknown = [str(key) for key in spec if key not in ("default", "canary", "canaryTrafficPercent")]
    if unknown:
        raise MigrationError(
            f"spec has fields v1alpha2 does not define ({', '.join(unknown)}): remove them and run migrate again"
        )
    notes = []
    if default_only and canary is not None:
        notes.append("dropped spec.canary and spec.canaryTrafficPercent: this is the default spec alone (step 1)")
        canary, percent = None, None
    if canary is None:
        source, where = default, "spec.default"
        if percent is not None:
            notes.append("spec.canaryTrafficPercent was set without spec.canary; it was dropped")
    else:
        if not isinstance(canary, MutableMapping):
            raise MigrationError("spec.canary is not a mapping: give it a predictor, or remove it")
        source, where = canary, "spec.canary"
        percent = 0 if percent is None else percent
        notes.append(
            f"the canary became the components with canaryTrafficPercent {percent}: v1beta1 sends "
            f"{100 - int(percent)}% to the previously rolled-out revision, so roll out spec.default first "
            "(docs/api.md, 'Migrating a canary')"
        )
    components: dict[str, Any] = {}
    for name in ("predictor", "transformer", "explainer"):
        part = source.get(name, default.get(name) if source is canary else None)
        origin = where if name in source else "spec.default"
        if part is None:
            continue
        if not isinstance(part, MutableMapping):
            raise MigrationError(f"{origin}.{name} is not a mapping")
        _migrate_component(part, field=f"{origin}.{name}", kind=name)
        if canary is not None and name in canary:
            part["canaryTrafficPercent"] = percent
        components[name] = part
    if "predictor" not in components:
        raise MigrationError(f"{where}.predictor is missing: every InferenceService needs a predictor")
    for key in ("default", "canary", "canaryTrafficPercent"):
        spec.pop(key, None)
    for name, part in components.items():
        spec[name] = part
    return notes


def _migrate_component(part: MutableMapping[str, Any], *, field: str, kind: str) -> None:
    if "parallelism" in part:
        part["containerConcurrency"] = part.pop("parallelism")
    custom = part.pop("custom", None)
    if custom is not None:
        container = custom.get("container") if isinstance(custom, MutableMapping) else None
        if not isinstance(container, MutableMapping):
            raise MigrationError(f"{field}.custom needs a `container` mapping to become {field}.containers")
        part["containers"] = [container]
    if "tensorrt" in part:
        raise MigrationError(
            f"{field}.tensorrt (TensorRT Inference Server) has no v1beta1 field: rewrite it as "
            f"{field}.triton with the same storageUri"
        )
    if kind == "explainer" and "alibi" in part:
        raise MigrationError(
            f"{field}.alibi: Alibi explainers are not part of the v1beta1 API Modelplane serves; run the explainer "
            f"as custom containers ({field}.containers) instead"
        )
    if kind == "predictor":
        for framework in V1ALPHA2_FRAMEWORKS:
            spec = part.get(framework)
            if isinstance(spec, MutableMapping) and "modelClassName" in spec:
                raise MigrationError(
                    f"{field}.{framework}.modelClassName has no v1beta1 field: package the PyTorch model for "
                    "TorchServe (a model archive) or as TorchScript, and remove modelClassName"
                )
