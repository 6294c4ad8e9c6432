"""InferenceService `serving.kserve.io/v1beta1`: a predictor, optionally a transformer and an explainer.

Field names, nesting and value sets follow KServe's v1beta1 API, so manifests written for KServe (and the
`kserve` Python SDK) work unchanged. A component is KServe's component-extension fields (replicas, scaling,
canary, logger, batcher) plus the pod-spec fields; a predictor adds exactly one implementation: a legacy
framework spec, a `model` spec resolved against serving runtimes, or custom `containers`.
"""

from __future__ import annotations

from typing import Literal

from modelplane.api import k8s
from modelplane.api.base import ApiModel
from pydantic import Field

GROUP = "serving.kserve.io"
VERSION = "v1beta1"
KIND = "InferenceService"
PLURAL = "inferenceservices"

ProtocolVersion = Literal["v1", "v2", "grpc-v1", "grpc-v2"]
ScaleMetric = Literal["cpu", "memory", "concurrency", "rps"]
LoggerMode = Literal["all", "request", "response"]

# The legacy framework fields of a predictor, in KServe's order; each maps onto a model format of the same name
# (`tensorflow` and `pytorch` included), which runtime selection resolves.
FRAMEWORKS = (
    "sklearn",
    "xgboost",
    "tensorflow",
    "pytorch",
    "triton",
    "onnx",
    "huggingface",
    "pmml",
    "lightgbm",
    "paddle",
)
COMPONENTS = ("predictor", "transformer", "explainer")


class ObjectMeta(ApiModel):
    """The metadata fields validation and defaulting read; the CRD schema leaves metadata to the API server."""

    name: str | None = None
    generate_name: str | None = None
    namespace: str | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None


class LoggerSpec(ApiModel):
    """Sends each request and/or response as a CloudEvent to a sink."""

    url: str | None = None
    """The sink's URL; the `logger.defaultUrl` of the controller's config when empty."""
    mode: LoggerMode | None = None
    """What to log: `all` (default), `request` or `response`."""
    metadata_headers: list[str] | None = None
    """Request headers copied into the CloudEvent."""
    metadata_annotations: list[str] | None = None
    """InferenceService annotations copied into the CloudEvent."""


class Batcher(ApiModel):
    """Adaptive batching of V1 predict requests inside the model server."""

    max_batch_size: int | None = Field(default=None, ge=1)
    """The most instances sent to the model at once."""
    max_latency: int | None = Field(default=None, ge=1)
    """The longest a request waits for a batch to fill, in milliseconds."""
    timeout: int | None = Field(default=None, ge=1)
    """How long a batched request may take before it fails, in seconds."""


class ComponentExtensionSpec(ApiModel):
    """Scaling, rollout, logging and batching settings every component has."""

    min_replicas: int | None = Field(default=None, ge=0)
    """The fewest replicas; 0 lets the component scale to zero (default 1)."""
    max_replicas: int | None = Field(default=None, ge=0)
    """The most replicas; 0 means no upper bound."""
    scale_target: int | None = Field(default=None, ge=1)
    """The per-replica target of `scaleMetric` the autoscaler keeps to."""
    scale_metric: ScaleMetric | None = None
    """What the autoscaler measures: concurrency or rps (Knative KPA), cpu or memory (HPA)."""
    scale_metric_type: Literal["Utilization", "AverageValue", "Value"] | None = None
    """How an HPA reads `scaleTarget`: a utilisation percentage (default for cpu) or an absolute value."""
    container_concurrency: int | None = Field(default=None, ge=0)
    """The most requests one replica handles at once; 0 means no limit."""
    timeout: int | None = Field(default=None, ge=1)
    """The most seconds a request may take."""
    canary_traffic_percent: int | None = Field(default=None, ge=0, le=100)
    """The share of traffic the latest revision gets; the previously rolled-out revision gets the rest."""
    logger: LoggerSpec | None = None
    batcher: Batcher | None = None
    labels: dict[str, str] | None = None
    """Labels added to the component's pods."""
    annotations: dict[str, str] | None = None
    """Annotations added to the component's pods (and Knative revision)."""
    deployment_strategy: k8s.DeploymentStrategy | None = None
    """How the Deployment rolls out new pods (Raw mode)."""


class StorageSpec(ApiModel):
    """A model location given as a key of the storage-config Secret plus a path."""

    path: str | None = None
    schema_path: str | None = None
    parameters: dict[str, str] | None = None
    key: str | None = None


class PredictorExtensionSpec(k8s.Container):
    """A model server container plus where its model lives and which protocol it speaks."""

    storage_uri: str | None = None
    """Where the model's files are (gs://, s3://, pvc://, https://, ...); copied to /mnt/models."""
    runtime_version: str | None = None
    """The serving runtime image tag to use instead of the runtime's default."""
    protocol_version: ProtocolVersion | None = None
    """The inference protocol: v1 (default), v2, grpc-v1 or grpc-v2."""
    storage: StorageSpec | None = None


class ModelFormat(ApiModel):
    """A model format name with an optional version."""

    name: str
    version: str | None = None


class ModelSpec(PredictorExtensionSpec):
    """A model of a given format, served by a serving runtime chosen for it (or named in `runtime`)."""

    model_format: ModelFormat
    runtime: str | None = None
    """The ServingRuntime or ClusterServingRuntime to use; selected by format when empty."""


class ComponentSpec(k8s.PodSpecFields, ComponentExtensionSpec):
    """Pod-spec fields and component extension fields shared by predictor, transformer and explainer."""

    containers: list[k8s.Container] | None = None


class PredictorSpec(ComponentSpec):
    """The model server: exactly one of a framework field, `model`, or custom `containers`."""

    sklearn: PredictorExtensionSpec | None = None
    xgboost: PredictorExtensionSpec | None = None
    tensorflow: PredictorExtensionSpec | None = None
    pytorch: PredictorExtensionSpec | None = None
    triton: PredictorExtensionSpec | None = None
    onnx: PredictorExtensionSpec | None = None
    huggingface: PredictorExtensionSpec | None = None
    pmml: PredictorExtensionSpec | None = None
    lightgbm: PredictorExtensionSpec | None = None
    paddle: PredictorExtensionSpec | None = None
    model: ModelSpec | None = None


class TransformerSpec(ComponentSpec):
    """Pre- and post-processing in front of the predictor, as custom containers."""


class ExplainerExtensionSpec(k8s.Container):
    """An explainer container with its model location and settings."""

    storage_uri: str | None = None
    config: dict[str, str] | None = None
    runtime_version: str | None = None


class ARTExplainerSpec(ExplainerExtensionSpec):
    """An Adversarial Robustness Toolbox explainer."""

    type: Literal["SquareAttack"]


class ExplainerSpec(ComponentSpec):
    """Explanations of the predictor's decisions: an ART explainer or custom containers."""

    art: ARTExplainerSpec | None = None


class InferenceServiceSpec(ApiModel):
    """The desired state of an InferenceService."""

    predictor: PredictorSpec
    transformer: TransformerSpec | None = None
    explainer: ExplainerSpec | None = None


class Condition(ApiModel):
    """A Knative-style status condition."""

    type: str
    status: Literal["True", "False", "Unknown"]
    severity: str | None = None
    reason: str | None = None
    message: str | None = None
    last_transition_time: str | None = None


class Addressable(ApiModel):
    """A URL in-cluster clients reach the object at."""

    url: str | None = None
    name: str | None = None
    ca_certs: str | None = Field(default=None, alias="CACerts")
    audience: str | None = None


class TrafficTarget(ApiModel):
    """A share of a component's traffic (Knative's traffic target)."""

    tag: str | None = None
    revision_name: str | None = None
    configuration_name: str | None = None
    latest_revision: bool | None = None
    percent: int | None = Field(default=None, ge=0, le=100)
    url: str | None = None


class ComponentStatus(ApiModel):
    """The observed state of one component."""

    url: str | None = None
    rest_url: str | None = None
    grpc_url: str | None = None
    address: Addressable | None = None
    latest_ready_revision: str | None = None
    latest_created_revision: str | None = None
    previous_rolledout_revision: str | None = None
    latest_rolledout_revision: str | None = None
    traffic: list[TrafficTarget] | None = None


ModelState = Literal["Pending", "Standby", "Loading", "Loaded", "FailedToLoad"]


class ModelRevisionStates(ApiModel):
    """The state of the model now and the state being moved to."""

    active_model_state: ModelState | None = None
    target_model_state: ModelState | None = None


class FailureInfo(ApiModel):
    """The last failure to load or serve the model."""

    location: str | None = None
    reason: str | None = None
    message: str | None = None
    model_revision_name: str | None = None
    time: str | None = None
    exit_code: int | None = None


class ModelCopies(ApiModel):
    """How many copies of the model are loaded and how many failed."""

    failed_copies: int | None = None
    total_copies: int | None = None


class ModelStatus(ApiModel):
    """The model's loading state."""

    transition_status: Literal["UpToDate", "InProgress", "BlockedByFailedLoad", "InvalidSpec"] | None = None
    states: ModelRevisionStates | None = None
    last_failure_info: FailureInfo | None = None
    copies: ModelCopies | None = None


class InferenceServiceStatus(ApiModel):
    """The observed state of an InferenceService, written by the controller."""

    observed_generation: int | None = None
    conditions: list[Condition] | None = None
    annotations: dict[str, str] | None = None
    url: str | None = None
    address: Addressable | None = None
    components: dict[str, ComponentStatus] | None = None
    model_status: ModelStatus | None = None
    deployment_mode: str | None = None
    serving_runtime_name: str | None = None
    cluster_serving_runtime_name: str | None = None


class InferenceService(ApiModel):
    """Serves a machine-learning model over HTTP and gRPC, with optional pre/post-processing and explanations."""

    api_version: str | None = None
    kind: str | None = None
    metadata: ObjectMeta | None = None
    spec: InferenceServiceSpec
    status: InferenceServiceStatus | None = None
