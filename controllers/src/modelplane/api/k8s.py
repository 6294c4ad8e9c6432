"""The Kubernetes core (v1) types an InferenceService embeds: containers and the pod-spec fields of a component.

They follow `k8s.io/api/core/v1` field for field for what a model server's pod uses (containers, probes,
resources, environment, volumes of the common kinds, scheduling: node selector, affinity, tolerations, topology
spread). Kinds of volume sources not listed here are pruned by the API server like any unknown field.
"""

from __future__ import annotations

from typing import Literal

from modelplane.api.base import ApiModel, IntOrString, Quantity
from pydantic import Field


class RollingUpdateDeployment(ApiModel):
    """How many pods a rolling update may take down or add at once."""

    max_unavailable: IntOrString | None = None
    max_surge: IntOrString | None = None


class DeploymentStrategy(ApiModel):
    """How a Deployment replaces its pods (Raw mode)."""

    type: Literal["Recreate", "RollingUpdate"] | None = None
    rolling_update: RollingUpdateDeployment | None = None


class ObjectReference(ApiModel):
    """A reference to an object in the same namespace, by name."""

    name: str | None = None


class KeySelector(ApiModel):
    """Selects one key of a ConfigMap or Secret."""

    key: str
    name: str | None = None
    optional: bool | None = None


class ObjectFieldSelector(ApiModel):
    """Selects a field of the pod (downward API)."""

    field_path: str
    api_version: str | None = None


class ResourceFieldSelector(ApiModel):
    """Selects a resource of a container (downward API)."""

    resource: str
    container_name: str | None = None
    divisor: Quantity | None = None


class EnvVarSource(ApiModel):
    """Where an environment variable's value comes from."""

    config_map_key_ref: KeySelector | None = None
    secret_key_ref: KeySelector | None = None
    field_ref: ObjectFieldSelector | None = None
    resource_field_ref: ResourceFieldSelector | None = None


class EnvVar(ApiModel):
    """An environment variable of a container."""

    name: str
    value: str | None = None
    value_from: EnvVarSource | None = None


class EnvFromSource(ApiModel):
    """A ConfigMap or Secret whose keys all become environment variables."""

    prefix: str | None = None
    config_map_ref: KeySelector | None = None
    secret_ref: KeySelector | None = None


class ResourceClaim(ApiModel):
    """A dynamic resource claim a container uses."""

    name: str
    request: str | None = None


class ResourceRequirements(ApiModel):
    """Compute resources of a container (`nvidia.com/gpu` limits included)."""

    limits: dict[str, Quantity] | None = None
    requests: dict[str, Quantity] | None = None
    claims: list[ResourceClaim] | None = None


class ContainerPort(ApiModel):
    """A port a container listens on."""

    container_port: int = Field(ge=1, le=65535)
    name: str | None = None
    protocol: Literal["TCP", "UDP", "SCTP"] | None = None
    host_port: int | None = None
    host_ip: str | None = Field(default=None, alias="hostIP")


class VolumeMount(ApiModel):
    """Where a volume appears inside a container."""

    name: str
    mount_path: str
    read_only: bool | None = None
    sub_path: str | None = None
    sub_path_expr: str | None = None
    mount_propagation: str | None = None
    recursive_read_only: str | None = None


class ExecAction(ApiModel):
    """Runs a command inside the container."""

    command: list[str] | None = None


class HTTPHeader(ApiModel):
    """A header of an HTTP probe."""

    name: str
    value: str


class HTTPGetAction(ApiModel):
    """An HTTP GET request against the container."""

    port: IntOrString
    path: str | None = None
    host: str | None = None
    scheme: Literal["HTTP", "HTTPS"] | None = None
    http_headers: list[HTTPHeader] | None = None


class TCPSocketAction(ApiModel):
    """Opens a TCP connection to the container."""

    port: IntOrString
    host: str | None = None


class GRPCAction(ApiModel):
    """Calls the gRPC health service of the container."""

    port: int
    service: str | None = None


class Probe(ApiModel):
    """A liveness, readiness or startup probe."""

    exec: ExecAction | None = None
    http_get: HTTPGetAction | None = None
    tcp_socket: TCPSocketAction | None = None
    grpc: GRPCAction | None = None
    initial_delay_seconds: int | None = None
    timeout_seconds: int | None = None
    period_seconds: int | None = None
    success_threshold: int | None = None
    failure_threshold: int | None = None
    termination_grace_period_seconds: int | None = None


class SleepAction(ApiModel):
    """Sleeps before the container stops or after it starts."""

    seconds: int


class LifecycleHandler(ApiModel):
    """An action run at a container lifecycle event."""

    exec: ExecAction | None = None
    http_get: HTTPGetAction | None = None
    tcp_socket: TCPSocketAction | None = None
    sleep: SleepAction | None = None


class Lifecycle(ApiModel):
    """Actions run after a container starts and before it stops."""

    post_start: LifecycleHandler | None = None
    pre_stop: LifecycleHandler | None = None
    stop_signal: str | None = None


class Capabilities(ApiModel):
    """Linux capabilities added to or dropped from a container."""

    add: list[str] | None = None
    drop: list[str] | None = None


class SELinuxOptions(ApiModel):
    """SELinux labels of a container or pod."""

    level: str | None = None
    role: str | None = None
    type: str | None = None
    user: str | None = None


class SeccompProfile(ApiModel):
    """The seccomp profile of a container or pod."""

    type: str
    localhost_profile: str | None = None


class SecurityContext(ApiModel):
    """Security settings of one container."""

    allow_privilege_escalation: bool | None = None
    capabilities: Capabilities | None = None
    privileged: bool | None = None
    proc_mount: str | None = None
    read_only_root_filesystem: bool | None = None
    run_as_group: int | None = None
    run_as_non_root: bool | None = None
    run_as_user: int | None = None
    se_linux_options: SELinuxOptions | None = Field(default=None, alias="seLinuxOptions")
    seccomp_profile: SeccompProfile | None = None


class ContainerResizePolicy(ApiModel):
    """Whether resizing a resource restarts the container."""

    resource_name: str
    restart_policy: str


class VolumeDevice(ApiModel):
    """A raw block volume exposed to a container."""

    name: str
    device_path: str


class Container(ApiModel):
    """A container of a pod, as in core/v1."""

    name: str | None = None
    image: str | None = None
    command: list[str] | None = None
    args: list[str] | None = None
    working_dir: str | None = None
    ports: list[ContainerPort] | None = None
    env: list[EnvVar] | None = None
    env_from: list[EnvFromSource] | None = None
    resources: ResourceRequirements | None = None
    volume_mounts: list[VolumeMount] | None = None
    liveness_probe: Probe | None = None
    readiness_probe: Probe | None = None
    startup_probe: Probe | None = None
    lifecycle: Lifecycle | None = None
    termination_message_path: str | None = None
    termination_message_policy: str | None = None
    image_pull_policy: Literal["Always", "Never", "IfNotPresent"] | None = None
    security_context: SecurityContext | None = None
    stdin: bool | None = None
    stdin_once: bool | None = None
    tty: bool | None = None
    restart_policy: str | None = None
    resize_policy: list[ContainerResizePolicy] | None = None
    volume_devices: list[VolumeDevice] | None = None


class KeyToPath(ApiModel):
    """Maps one key of a ConfigMap or Secret to a file."""

    key: str
    path: str
    mode: int | None = None


class EmptyDirVolumeSource(ApiModel):
    """A scratch directory that lives as long as the pod."""

    medium: str | None = None
    size_limit: Quantity | None = None


class ConfigMapVolumeSource(ApiModel):
    """A ConfigMap's keys as files."""

    name: str | None = None
    items: list[KeyToPath] | None = None
    default_mode: int | None = None
    optional: bool | None = None


class SecretVolumeSource(ApiModel):
    """A Secret's keys as files."""

    secret_name: str | None = None
    items: list[KeyToPath] | None = None
    default_mode: int | None = None
    optional: bool | None = None


class PersistentVolumeClaimVolumeSource(ApiModel):
    """A PersistentVolumeClaim mounted into the pod."""

    claim_name: str
    read_only: bool | None = None


class HostPathVolumeSource(ApiModel):
    """A directory of the node."""

    path: str
    type: str | None = None


class NFSVolumeSource(ApiModel):
    """An NFS export."""

    server: str
    path: str
    read_only: bool | None = None


class CSIVolumeSource(ApiModel):
    """A volume provided by a CSI driver."""

    driver: str
    read_only: bool | None = None
    fs_type: str | None = None
    volume_attributes: dict[str, str] | None = None
    node_publish_secret_ref: ObjectReference | None = None


class DownwardAPIVolumeFile(ApiModel):
    """One file of a downward API volume."""

    path: str
    field_ref: ObjectFieldSelector | None = None
    resource_field_ref: ResourceFieldSelector | None = None
    mode: int | None = None


class DownwardAPIVolumeSource(ApiModel):
    """Pod fields as files."""

    items: list[DownwardAPIVolumeFile] | None = None
    default_mode: int | None = None


class ServiceAccountTokenProjection(ApiModel):
    """A projected service account token."""

    path: str
    audience: str | None = None
    expiration_seconds: int | None = None


class VolumeProjection(ApiModel):
    """One source of a projected volume."""

    config_map: ConfigMapVolumeSource | None = None
    secret: ConfigMapVolumeSource | None = None
    downward_api: DownwardAPIVolumeSource | None = Field(default=None, alias="downwardAPI")
    service_account_token: ServiceAccountTokenProjection | None = None


class ProjectedVolumeSource(ApiModel):
    """Several sources merged into one directory."""

    sources: list[VolumeProjection] | None = None
    default_mode: int | None = None


class Volume(ApiModel):
    """A volume of the pod."""

    name: str
    empty_dir: EmptyDirVolumeSource | None = None
    config_map: ConfigMapVolumeSource | None = None
    secret: SecretVolumeSource | None = None
    persistent_volume_claim: PersistentVolumeClaimVolumeSource | None = None
    host_path: HostPathVolumeSource | None = None
    nfs: NFSVolumeSource | None = None
    csi: CSIVolumeSource | None = None
    downward_api: DownwardAPIVolumeSource | None = Field(default=None, alias="downwardAPI")
    projected: ProjectedVolumeSource | None = None


class Toleration(ApiModel):
    """Lets the pod run on nodes with a matching taint (GPU nodes often have one)."""

    key: str | None = None
    operator: Literal["Exists", "Equal"] | None = None
    value: str | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None
    toleration_seconds: int | None = None


class NodeSelectorRequirement(ApiModel):
    """A node label or field matched by an operator."""

    key: str
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"]
    values: list[str] | None = None


class NodeSelectorTerm(ApiModel):
    """Requirements that must all hold for a node."""

    match_expressions: list[NodeSelectorRequirement] | None = None
    match_fields: list[NodeSelectorRequirement] | None = None


class NodeSelector(ApiModel):
    """Terms of which at least one must hold for a node."""

    node_selector_terms: list[NodeSelectorTerm]


class PreferredSchedulingTerm(ApiModel):
    """A node preference with its weight."""

    weight: int = Field(ge=1, le=100)
    preference: NodeSelectorTerm


class NodeAffinity(ApiModel):
    """Which nodes the pod must or should run on."""

    required_during_scheduling_ignored_during_execution: NodeSelector | None = None
    preferred_during_scheduling_ignored_during_execution: list[PreferredSchedulingTerm] | None = None


class LabelSelectorRequirement(ApiModel):
    """A label matched by an operator."""

    key: str
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist"]
    values: list[str] | None = None


class LabelSelector(ApiModel):
    """A label query."""

    match_labels: dict[str, str] | None = None
    match_expressions: list[LabelSelectorRequirement] | None = None


class PodAffinityTerm(ApiModel):
    """Pods (by label) this pod should be co-located with, or kept away from, per topology domain."""

    topology_key: str
    label_selector: LabelSelector | None = None
    namespaces: list[str] | None = None
    namespace_selector: LabelSelector | None = None
    match_label_keys: list[str] | None = None
    mismatch_label_keys: list[str] | None = None


class WeightedPodAffinityTerm(ApiModel):
    """A pod (anti-)affinity preference with its weight."""

    weight: int = Field(ge=1, le=100)
    pod_affinity_term: PodAffinityTerm


class PodAffinity(ApiModel):
    """Pod affinity or anti-affinity rules."""

    required_during_scheduling_ignored_during_execution: list[PodAffinityTerm] | None = None
    preferred_during_scheduling_ignored_during_execution: list[WeightedPodAffinityTerm] | None = None


class Affinity(ApiModel):
    """Scheduling constraints of the pod."""

    node_affinity: NodeAffinity | None = None
    pod_affinity: PodAffinity | None = None
    pod_anti_affinity: PodAffinity | None = None


class TopologySpreadConstraint(ApiModel):
    """How evenly the pods spread across a topology domain."""

    max_skew: int = Field(ge=1)
    topology_key: str
    when_unsatisfiable: Literal["DoNotSchedule", "ScheduleAnyway"]
    label_selector: LabelSelector | None = None
    min_domains: int | None = None
    node_affinity_policy: str | None = None
    node_taints_policy: str | None = None
    match_label_keys: list[str] | None = None


class PodSecurityContext(ApiModel):
    """Security settings of the whole pod."""

    fs_group: int | None = None
    fs_group_change_policy: str | None = None
    run_as_group: int | None = None
    run_as_non_root: bool | None = None
    run_as_user: int | None = None
    supplemental_groups: list[int] | None = None
    se_linux_options: SELinuxOptions | None = Field(default=None, alias="seLinuxOptions")
    seccomp_profile: SeccompProfile | None = None


class PodDNSConfigOption(ApiModel):
    """One resolver option."""

    name: str | None = None
    value: str | None = None


class PodDNSConfig(ApiModel):
    """DNS settings of the pod."""

    nameservers: list[str] | None = None
    searches: list[str] | None = None
    options: list[PodDNSConfigOption] | None = None


class HostAlias(ApiModel):
    """An /etc/hosts entry."""

    ip: str
    hostnames: list[str] | None = None


class PodReadinessGate(ApiModel):
    """A pod condition that must be true for the pod to be ready."""

    condition_type: str


class PodOS(ApiModel):
    """The operating system the pod needs."""

    name: str


class PodSchedulingGate(ApiModel):
    """A gate that holds the pod back from scheduling until removed."""

    name: str


class PodResourceClaim(ApiModel):
    """A dynamic resource claim the pod's containers may use."""

    name: str
    resource_claim_name: str | None = None
    resource_claim_template_name: str | None = None


class PodSpecFields(ApiModel):
    """The pod-spec fields a component accepts beside its containers (KServe inlines core/v1 PodSpec)."""

    volumes: list[Volume] | None = None
    init_containers: list[Container] | None = None
    restart_policy: str | None = None
    termination_grace_period_seconds: int | None = None
    active_deadline_seconds: int | None = None
    dns_policy: str | None = None
    dns_config: PodDNSConfig | None = None
    node_selector: dict[str, str] | None = None
    node_name: str | None = None
    service_account_name: str | None = None
    service_account: str | None = None
    automount_service_account_token: bool | None = None
    host_network: bool | None = None
    host_pid: bool | None = Field(default=None, alias="hostPID")
    host_ipc: bool | None = Field(default=None, alias="hostIPC")
    share_process_namespace: bool | None = None
    security_context: PodSecurityContext | None = None
    image_pull_secrets: list[ObjectReference] | None = None
    hostname: str | None = None
    subdomain: str | None = None
    affinity: Affinity | None = None
    scheduler_name: str | None = None
    tolerations: list[Toleration] | None = None
    host_aliases: list[HostAlias] | None = None
    priority_class_name: str | None = None
    priority: int | None = None
    runtime_class_name: str | None = None
    enable_service_links: bool | None = None
    preemption_policy: str | None = None
    topology_spread_constraints: list[TopologySpreadConstraint] | None = None
    set_hostname_as_fqdn: bool | None = Field(default=None, alias="setHostnameAsFQDN")
    hostname_override: str | None = None
    host_users: bool | None = None
    os: PodOS | None = None
    overhead: dict[str, Quantity] | None = None
    readiness_gates: list[PodReadinessGate] | None = None
    scheduling_gates: list[PodSchedulingGate] | None = None
    resource_claims: list[PodResourceClaim] | None = None
