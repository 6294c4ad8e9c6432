"""The pod of one component: serving container(s), storage initializer, runtime flags, proxy sidecar, scheduling.

Used by both deployment modes: a Knative Service's revision template and a Deployment's pod template hold the
same pod. The first container is the serving container, named `kserve-container` as in KServe so probes, logs and
dashboards find it.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from modelplane.reconcile import credentials as creds
from modelplane.reconcile import runtimes
from modelplane.reconcile.config import Config

MODEL_DIR = "/mnt/models"
STORAGE_VOLUME = "kserve-provision-location"
CACHE_VOLUME = "modelplane-storage-cache"
CACHE_DIR = "/var/cache/modelplane-storage"
CACHE_VARIABLE = "MODELPLANE_STORAGE_CACHE"
PVC_VOLUME = "kserve-pvc-source"
SERVING_CONTAINER = "kserve-container"
HTTP_PORT = 8080
PROXY_PORT = 9081
GPU = "nvidia.com/gpu"
DEFAULT_RESOURCES = {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}}
_POD_FIELDS = (
    "serviceAccountName",
    "nodeSelector",
    "tolerations",
    "affinity",
    "imagePullSecrets",
    "priorityClassName",
    "schedulerName",
    "securityContext",
    "runtimeClassName",
    "terminationGracePeriodSeconds",
    "dnsPolicy",
)


@dataclasses.dataclass(frozen=True)
class Pod:
    """A component's pod spec and the port the Service or Knative routes traffic to."""

    spec: dict[str, Any]
    port: int


@dataclasses.dataclass(frozen=True)
class ComponentInput:
    """Everything that shapes one component's pod."""

    isvc_name: str
    namespace: str
    component: str
    spec: Mapping[str, Any]
    model: runtimes.ModelSpec | None
    selection: runtimes.Selection | None
    credentials: creds.Credentials


def _substitute(values: list[Any], *, name: str, namespace: str) -> list[Any]:
    return [
        v.replace("{{.Name}}", name).replace("{{.Namespace}}", namespace) if isinstance(v, str) else v for v in values
    ]


def _merge_env(base: list[Any], extra: list[Any]) -> list[Any]:
    names = {e.get("name") for e in extra}
    return [e for e in base if e.get("name") not in names] + list(extra)


def _serving_container(component: ComponentInput) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The serving container and any further containers the runtime or the user declared."""
    if component.selection is not None and component.model is not None:
        declared = copy.deepcopy(list(component.selection.spec.get("containers") or [{}]))
        main = declared[0]
        user = dict(component.model.container)
        for field in ("image", "command", "resources", "imagePullPolicy", "workingDir", "securityContext"):
            if field in user:
                main[field] = copy.deepcopy(user[field])
        main["args"] = list(main.get("args") or []) + list(user.get("args") or [])
        env = _merge_env(list(main.get("env") or []), list(user.get("env") or []))
        if env:
            main["env"] = env
        for field in ("ports", "readinessProbe", "livenessProbe", "volumeMounts"):
            if field in user:
                main[field] = copy.deepcopy(user[field])
        rest = declared[1:]
    else:
        declared = copy.deepcopy(list(component.spec.get("containers") or []))
        main, rest = declared[0], declared[1:]
    main["name"] = SERVING_CONTAINER
    for field in ("args", "command"):
        if main.get(field):
            main[field] = _substitute(main[field], name=component.isvc_name, namespace=component.namespace)
        elif field in main:
            del main[field]
    return main, rest


def _resources(container: dict[str, Any]) -> None:
    resources = copy.deepcopy(container.get("resources") or DEFAULT_RESOURCES)
    requests = resources.setdefault("requests", {})
    limits = resources.setdefault("limits", {})
    if GPU in requests and GPU not in limits:
        limits[GPU] = requests[GPU]
    if GPU in limits and GPU not in requests:
        requests[GPU] = limits[GPU]
    container["resources"] = resources


def is_modelplane_runtime(container: Mapping[str, Any], *, config: Config) -> bool:
    """Whether the serving container runs Modelplane's own runtime (which batches and logs in-process)."""
    image = str(container.get("image", ""))
    repository = config.runtime_image.rsplit(":", 1)[0]
    command = [str(c) for c in container.get("command") or []]
    return image.rsplit(":", 1)[0] == repository or (bool(command) and command[0] == "modelplane-runtime")


def _feature_flags(component: ComponentInput, *, config: Config) -> list[str]:
    """Runtime flags for the logger and batcher of the component (empty when neither is set)."""
    flags: list[str] = []
    logger = component.spec.get("logger")
    if isinstance(logger, Mapping):
        url = logger.get("url") or config.logger_default_url
        flags += ["--logger_url", str(url), "--logger_mode", str(logger.get("mode") or "all")]
    batcher = component.spec.get("batcher")
    if isinstance(batcher, Mapping):
        flags += [
            "--max_batch_size",
            str(batcher.get("maxBatchSize") or config.batcher_default_max_batch_size),
            "--max_latency_ms",
            str(batcher.get("maxLatency") or config.batcher_default_max_latency_ms),
        ]
    if flags:
        flags += [
            "--isvc_name",
            component.isvc_name,
            "--isvc_namespace",
            component.namespace,
            "--component",
            component.component,
        ]
    return flags


def _container_port(container: Mapping[str, Any]) -> int:
    for port in container.get("ports") or []:
        if "containerPort" in port:
            return int(port["containerPort"])
    return HTTP_PORT


def _proxy_sidecar(
    *, upstream_port: int, flags: list[str], component: ComponentInput, config: Config
) -> dict[str, Any]:
    return {
        "name": "modelplane-proxy",
        "image": config.runtime_image,
        "command": ["modelplane-runtime"],
        "args": [
            "--model_name",
            component.isvc_name,
            "--model_dir",
            MODEL_DIR,
            "--proxy_upstream",
            f"http://127.0.0.1:{upstream_port}",
            "--http_host",
            "0.0.0.0",  # noqa: S104 - inside the pod the proxy must take traffic from the Service
            "--http_port",
            str(PROXY_PORT),
            *flags,
        ],
        "ports": [{"name": "http1", "containerPort": PROXY_PORT, "protocol": "TCP"}],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
    }


def _storage(
    *, pod: dict[str, Any], main: dict[str, Any], storage_uri: str, component: ComponentInput, config: Config
) -> None:
    volumes = pod.setdefault("volumes", [])
    mounts = main.setdefault("volumeMounts", [])
    if storage_uri.startswith("pvc://"):
        claim, _, sub_path = storage_uri[len("pvc://") :].partition("/")
        volumes.append({"name": PVC_VOLUME, "persistentVolumeClaim": {"claimName": claim, "readOnly": True}})
        mount: dict[str, Any] = {"name": PVC_VOLUME, "mountPath": MODEL_DIR, "readOnly": True}
        if sub_path:
            mount["subPath"] = sub_path
        mounts.append(mount)
        return
    sic = config.storage_initializer
    volumes.append({"name": STORAGE_VOLUME, "emptyDir": {}})
    volumes.extend(copy.deepcopy(list(component.credentials.volumes)))
    # A multi-model server fetches each TrainedModel into its model directory, so it must be able to write there.
    multi_model = bool(component.selection is not None and component.selection.spec.get("multiModel"))
    mounts.append({"name": STORAGE_VOLUME, "mountPath": MODEL_DIR, "readOnly": not multi_model})
    init: dict[str, Any] = {
        "name": "storage-initializer",
        "image": sic.image,
        "command": ["modelplane-storage-init"],
        "args": [storage_uri, MODEL_DIR],
        "resources": {
            "requests": {"cpu": sic.cpu_request, "memory": sic.memory_request},
            "limits": {"cpu": sic.cpu_limit, "memory": sic.memory_limit},
        },
        "volumeMounts": [
            {"name": STORAGE_VOLUME, "mountPath": MODEL_DIR},
            *copy.deepcopy(list(component.credentials.mounts)),
        ],
    }
    if component.credentials.env:
        init["env"] = copy.deepcopy(list(component.credentials.env))
    if sic.cache_host_path:
        _mount_cache(pod=pod, container=init, host_path=sic.cache_host_path)
        if multi_model:  # the server fetches TrainedModels with the same code, so it shares the node's cache
            _mount_cache(pod=pod, container=main, host_path=sic.cache_host_path)
    pod.setdefault("initContainers", []).append(init)


def _mount_cache(*, pod: dict[str, Any], container: dict[str, Any], host_path: str) -> None:
    """Mount the node's storage cache into `container` and point the storage code at it."""
    volumes = pod.setdefault("volumes", [])
    if not any(v.get("name") == CACHE_VOLUME for v in volumes):
        volumes.append({"name": CACHE_VOLUME, "hostPath": {"path": host_path, "type": "DirectoryOrCreate"}})
    container.setdefault("volumeMounts", []).append({"name": CACHE_VOLUME, "mountPath": CACHE_DIR})
    container["env"] = _merge_env(list(container.get("env") or []), [{"name": CACHE_VARIABLE, "value": CACHE_DIR}])


def _has_flag(args: Sequence[str], flag: str) -> bool:
    return any(arg == flag or arg.startswith(f"{flag}=") for arg in args)


def _with_predictor_flags(args: Sequence[str], *, component: ComponentInput) -> list[str]:
    """A transformer's or explainer's args with what KServe's controller appends when they are missing: the model
    name (the InferenceService's) and where the predictor is (`<isvc>-predictor.<namespace>`)."""
    result = list(args)
    if not _has_flag(result, "--model_name"):
        result += ["--model_name", component.isvc_name]
    if not _has_flag(result, "--predictor_host"):
        result += ["--predictor_host", f"{component.isvc_name}-predictor.{component.namespace}"]
    return result


def build(component: ComponentInput, *, config: Config) -> Pod:
    """The pod spec of one component."""
    main, rest = _serving_container(component)
    _resources(main)
    pod: dict[str, Any] = {}
    runtime_spec: Mapping[str, Any] = component.selection.spec if component.selection is not None else {}
    for field in _POD_FIELDS:
        value = component.spec.get(field, runtime_spec.get(field))
        if value:
            pod[field] = copy.deepcopy(value)
    if component.spec.get("volumes"):
        pod["volumes"] = copy.deepcopy(list(component.spec["volumes"]))
    if component.component in ("transformer", "explainer"):
        main["args"] = _with_predictor_flags(main.get("args") or [], component=component)
    flags = _feature_flags(component, config=config)
    port = _container_port(main)
    containers = [main, *rest]
    if flags and is_modelplane_runtime(main, config=config):
        main["args"] = list(main.get("args") or []) + flags
    elif flags:
        containers.append(_proxy_sidecar(upstream_port=port, flags=flags, component=component, config=config))
        main.pop("ports", None)
        port = PROXY_PORT
    storage_uri = component.model.storage_uri if component.model is not None else None
    if storage_uri:
        _storage(pod=pod, main=main, storage_uri=storage_uri, component=component, config=config)
    pod["containers"] = containers
    return Pod(spec=pod, port=port)
