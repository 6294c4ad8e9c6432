"""The four CustomResourceDefinitions of `serving.kserve.io`, built from the API models.

Names, short names, scopes and printer columns follow KServe's CRDs, so `kubectl get isvc` reads the same. Each
version has a `status` subresource: the controller writes status through it and users cannot overwrite it.
"""

from __future__ import annotations

import inspect
from typing import Any

from modelplane.api import inferenceservice, k8s, schema, servingruntime, trainedmodel
from pydantic import BaseModel

CATEGORIES = ["kserve", "modelplane"]
_READY = ".status.conditions[?(@.type=='Ready')].status"
_AGE = {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
_ROOT_DESCRIPTIONS = {
    "apiVersion": "The versioned schema of this representation of an object.",
    "kind": "The REST resource this object represents.",
}


def _core_type_names() -> frozenset[str]:
    """The Kubernetes core types (documented upstream), whose descriptions the CRDs leave out."""
    return frozenset(
        name
        for name, value in vars(k8s).items()
        if inspect.isclass(value) and issubclass(value, BaseModel) and value.__module__ == k8s.__name__
    )


def _root_schema(model: type[BaseModel]) -> dict[str, Any]:
    root = schema.structural_schema(model, undocumented=_core_type_names())
    properties = root["properties"]
    for key, text in _ROOT_DESCRIPTIONS.items():
        properties[key] = {"type": "string", "description": text}
    properties["metadata"] = {"type": "object"}
    return root


def _crd(
    *,
    kind: str,
    plural: str,
    version: str,
    scope: str,
    model: type[BaseModel],
    short_names: list[str],
    columns: list[dict[str, Any]],
) -> dict[str, Any]:
    names: dict[str, Any] = {
        "kind": kind,
        "listKind": f"{kind}List",
        "plural": plural,
        "singular": kind.lower(),
        "categories": list(CATEGORIES),
    }
    if short_names:
        names["shortNames"] = short_names
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": f"{plural}.{inferenceservice.GROUP}",
            "labels": {"app.kubernetes.io/name": "modelplane", "app.kubernetes.io/component": "crds"},
        },
        "spec": {
            "group": inferenceservice.GROUP,
            "names": names,
            "scope": scope,
            "versions": [
                {
                    "name": version,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": columns,
                    "schema": {"openAPIV3Schema": _root_schema(model)},
                }
            ],
        },
    }


def inference_service_crd() -> dict[str, Any]:
    """InferenceService v1beta1, short name `isvc`, with KServe's columns (URL, Ready, Prev, Latest, revisions)."""
    traffic = ".status.components.predictor.traffic"
    return _crd(
        kind=inferenceservice.KIND,
        plural=inferenceservice.PLURAL,
        version=inferenceservice.VERSION,
        scope="Namespaced",
        model=inferenceservice.InferenceService,
        short_names=["isvc"],
        columns=[
            {"name": "URL", "type": "string", "jsonPath": ".status.url"},
            {"name": "Ready", "type": "string", "jsonPath": _READY},
            {"name": "Prev", "type": "integer", "jsonPath": f"{traffic}[?(@.tag=='prev')].percent"},
            {"name": "Latest", "type": "integer", "jsonPath": f"{traffic}[?(@.latestRevision==true)].percent"},
            {
                "name": "PrevRolledoutRevision",
                "type": "string",
                "jsonPath": f"{traffic}[?(@.tag=='prev')].revisionName",
            },
            {
                "name": "LatestReadyRevision",
                "type": "string",
                "jsonPath": f"{traffic}[?(@.latestRevision==true)].revisionName",
            },
            _AGE,
        ],
    )


def _runtime_columns() -> list[dict[str, Any]]:
    return [
        {"name": "Disabled", "type": "boolean", "jsonPath": ".spec.disabled"},
        {"name": "ModelType", "type": "string", "jsonPath": ".spec.supportedModelFormats[*].name"},
        {"name": "Containers", "type": "string", "jsonPath": ".spec.containers[*].name"},
        _AGE,
    ]


def serving_runtime_crd() -> dict[str, Any]:
    """ServingRuntime v1alpha1 (namespaced)."""
    return _crd(
        kind=servingruntime.KIND,
        plural=servingruntime.PLURAL,
        version=servingruntime.VERSION,
        scope="Namespaced",
        model=servingruntime.ServingRuntime,
        short_names=[],
        columns=_runtime_columns(),
    )


def cluster_serving_runtime_crd() -> dict[str, Any]:
    """ClusterServingRuntime v1alpha1 (cluster-scoped, same schema as ServingRuntime)."""
    return _crd(
        kind=servingruntime.CLUSTER_KIND,
        plural=servingruntime.CLUSTER_PLURAL,
        version=servingruntime.VERSION,
        scope="Cluster",
        model=servingruntime.ServingRuntime,
        short_names=[],
        columns=_runtime_columns(),
    )


def trained_model_crd() -> dict[str, Any]:
    """TrainedModel v1alpha1, short name `tm`."""
    return _crd(
        kind=trainedmodel.KIND,
        plural=trainedmodel.PLURAL,
        version=trainedmodel.VERSION,
        scope="Namespaced",
        model=trainedmodel.TrainedModel,
        short_names=["tm"],
        columns=[
            {"name": "URL", "type": "string", "jsonPath": ".status.url"},
            {"name": "Ready", "type": "string", "jsonPath": _READY},
            _AGE,
        ],
    )


def all_crds() -> list[dict[str, Any]]:
    """Every CRD of the API, ordered by name."""
    crds = [inference_service_crd(), serving_runtime_crd(), cluster_serving_runtime_crd(), trained_model_crd()]
    return sorted(crds, key=lambda crd: str(crd["metadata"]["name"]))
