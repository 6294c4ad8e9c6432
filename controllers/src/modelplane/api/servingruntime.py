"""ServingRuntime (namespaced) and ClusterServingRuntime `serving.kserve.io/v1alpha1`: model server templates.

A serving runtime names the model formats it serves (`supportedModelFormats` with `autoSelect` and `priority`),
the protocols it speaks, whether it holds many models (`multiModel`), and the pod template (containers whose
args may use the `{{.Name}}` placeholder) a predictor that selects it runs.
"""

from __future__ import annotations

from modelplane.api import k8s
from modelplane.api.base import ApiModel
from modelplane.api.inferenceservice import ObjectMeta, ProtocolVersion
from pydantic import Field

GROUP = "serving.kserve.io"
VERSION = "v1alpha1"
KIND = "ServingRuntime"
PLURAL = "servingruntimes"
CLUSTER_KIND = "ClusterServingRuntime"
CLUSTER_PLURAL = "clusterservingruntimes"


class SupportedModelFormat(ApiModel):
    """A model format a runtime serves, and whether predictors of that format pick it on their own."""

    name: str
    version: str | None = None
    """The format's version; a predictor's version matches when equal or when this is a prefix of it at a dot."""
    auto_select: bool | None = None
    """Whether a predictor naming only the format may select this runtime."""
    priority: int | None = Field(default=None, ge=1)
    """Among auto-selectable runtimes for one format, the highest priority wins."""


class StorageHelper(ApiModel):
    """Whether the storage initializer runs for predictors of this runtime."""

    disabled: bool | None = None


class BuiltInAdapter(ApiModel):
    """Settings for runtimes driven by a model-mesh adapter (kept for manifest compatibility)."""

    server_type: str | None = None
    runtime_management_port: int | None = None
    mem_buffer_bytes: int | None = None
    model_loading_timeout_millis: int | None = None
    env: list[k8s.EnvVar] | None = None


class ServingRuntimeSpec(k8s.PodSpecFields):
    """A model server template and the formats and protocols it serves."""

    supported_model_formats: list[SupportedModelFormat] | None = None
    multi_model: bool | None = None
    """Whether one server loads many models (TrainedModels) at run time."""
    disabled: bool | None = None
    """A disabled runtime is never selected."""
    protocol_versions: list[ProtocolVersion] | None = None
    containers: list[k8s.Container]
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    grpc_endpoint: str | None = None
    grpc_data_endpoint: str | None = None
    http_data_endpoint: str | None = None
    replicas: int | None = Field(default=None, ge=0)
    storage_helper: StorageHelper | None = None
    built_in_adapter: BuiltInAdapter | None = None


class ServingRuntimeStatus(ApiModel):
    """The observed state of a serving runtime (KServe keeps none)."""


class ServingRuntime(ApiModel):
    """A model server template usable by InferenceServices of its namespace (or, as ClusterServingRuntime, all)."""

    api_version: str | None = None
    kind: str | None = None
    metadata: ObjectMeta | None = None
    spec: ServingRuntimeSpec
    status: ServingRuntimeStatus | None = None
