"""TrainedModel `serving.kserve.io/v1alpha1`: one more model loaded into an InferenceService's multi-model server.

The parent InferenceService (`spec.inferenceService`, same namespace) must run a multi-model serving runtime; the
model's `memory` is counted against that server's capacity.
"""

from __future__ import annotations

from modelplane.api.base import ApiModel, Quantity
from modelplane.api.inferenceservice import Addressable, Condition, ObjectMeta

GROUP = "serving.kserve.io"
VERSION = "v1alpha1"
KIND = "TrainedModel"
PLURAL = "trainedmodels"


class ModelSpec(ApiModel):
    """Where the model is, what it is, and how much memory it needs once loaded."""

    storage_uri: str
    framework: str
    """The model format (sklearn, xgboost, ...); the parent's runtime must support it."""
    memory: Quantity
    """Memory the loaded model takes, counted against the server's capacity (for example 256Mi)."""


class TrainedModelSpec(ApiModel):
    """The desired state of a TrainedModel."""

    inference_service: str
    """The parent InferenceService in the same namespace."""
    model: ModelSpec


class TrainedModelStatus(ApiModel):
    """The observed state of a TrainedModel."""

    observed_generation: int | None = None
    conditions: list[Condition] | None = None
    url: str | None = None
    address: Addressable | None = None


class TrainedModel(ApiModel):
    """A model loaded at run time into its parent InferenceService's multi-model server."""

    api_version: str | None = None
    kind: str | None = None
    metadata: ObjectMeta | None = None
    spec: TrainedModelSpec
    status: TrainedModelStatus | None = None
