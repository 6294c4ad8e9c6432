"""Tests of the InferenceService reconcile against golden manifests, one case per mode and feature.

Covers: Serverless (legacy framework field, model format + autoscaling, transformer routing (a transformer or
explainer gets `--model_name` and `--predictor_host` unless its args name them), canary split and
rollback, logger/batcher flags for Modelplane's runtime, proxy sidecar for a third-party runtime, GPU and scheduling
pass-through, pvc://, S3/GCS/Azure credentials, readiness and URL from the Knative Service status), Raw
(Deployment/Service/HPA with Istio, Ingress and Gateway API routing, each sending V1 `:explain` to the explainer,
memory HPA, autoscaler none/external, canary Deployment with weighted routing (Istio, Ingress, Gateway API),
promotion, rollback (during a canary, and after a promotion, which keeps the promoted version), readiness from
Deployment availability, a multi-model runtime's model directory writable, the node storage cache mounted into the
storage initializer), no fitting runtime, pruning of children no longer wanted, idempotence (a second reconcile over
its own output changes nothing), and the deployment mode: recorded in `status.deploymentMode`, then kept (children
not pruned) when the configured default changes, and read from existing children for an InferenceService reconciled
before the mode was recorded.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from modelplane.reconcile import config as config_mod
from modelplane.reconcile import inferenceservice
from modelplane.reconcile.observed import Observed

NOW = "2026-11-22T22:00:00Z"
EARLIER = "2026-11-22T21:00:00Z"


def isvc(
    name: str = "iris", *, predictor: dict[str, Any], annotations: dict[str, str] | None = None, **extra: Any
) -> dict[str, Any]:
    """An InferenceService as the API server stores it (uid, generation, namespace filled)."""
    obj: dict[str, Any] = {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {
            "name": name,
            "namespace": "models",
            "uid": "0b7c6a1e-0000-4000-8000-000000000001",
            "generation": 1,
        },
        "spec": {"predictor": predictor, **{k: v for k, v in extra.items() if k in ("transformer", "explainer")}},
    }
    if annotations:
        obj["metadata"]["annotations"] = annotations
    if "status" in extra:
        obj["status"] = extra["status"]
    return obj


def runtime(
    name: str,
    *,
    formats: list[dict[str, Any]],
    kind: str = "ClusterServingRuntime",
    image: str = "modelplane/runtime:0.1.0",
    protocols: list[str] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    """A serving runtime listing `formats`."""
    body: dict[str, Any] = {
        "supportedModelFormats": formats,
        "protocolVersions": protocols or ["v1", "v2"],
        "containers": [
            {
                "name": "kserve-container",
                "image": image,
                "args": [
                    "--model_name={{.Name}}",
                    "--model_dir=/mnt/models",
                    "--http_port=8080",
                    "--http_host=0.0.0.0",
                ],
                "ports": [{"containerPort": 8080, "protocol": "TCP"}],
            }
        ],
        **spec,
    }
    metadata: dict[str, Any] = {"name": name}
    if kind == "ServingRuntime":
        metadata["namespace"] = "models"
    return {"apiVersion": "serving.kserve.io/v1alpha1", "kind": kind, "metadata": metadata, "spec": body}


SKLEARN_RUNTIME = runtime(
    "modelplane-sklearn", formats=[{"name": "sklearn", "version": "1", "autoSelect": True, "priority": 1}]
)
TRITON_RUNTIME = runtime(
    "kserve-tritonserver",
    formats=[{"name": "triton", "autoSelect": True}, {"name": "onnx", "version": "1", "autoSelect": True}],
    image="nvcr.io/nvidia/tritonserver:24.01-py3",
    protocols=["v2", "grpc-v2"],
)
CLUSTER_RUNTIMES = (SKLEARN_RUNTIME, TRITON_RUNTIME)


def with_status(manifest: dict[str, Any], status: dict[str, Any], *, generation: int = 1) -> dict[str, Any]:
    """A copy of a desired child as the API server would show it after its controller reported `status`."""
    result = copy.deepcopy(manifest)
    result["metadata"]["generation"] = generation
    result["status"] = status
    return result


RAW = {"serving.kserve.io/deploymentMode": "RawDeployment"}
SKLEARN = {"sklearn": {"storageUri": "gs://models/iris"}}
S3_MODEL = {
    "model": {"modelFormat": {"name": "sklearn"}, "storageUri": "s3://bucket/iris"},
    "serviceAccountName": "models-sa",
}
CONFIG = config_mod.Config()


def cfg(**ingress: str) -> config_mod.Config:
    """The default configuration with some `ingress` fields changed."""
    return config_mod.Config(ingress=config_mod.IngressConfig(**ingress))


def observe(obj: dict[str, Any], **kwargs: Any) -> Observed:
    """An Observed with the default cluster runtimes."""
    kwargs.setdefault("cluster_runtimes", CLUSTER_RUNTIMES)
    return Observed(isvc=obj, now=NOW, **kwargs)


def settled(
    obj: dict[str, Any],
    *,
    config: config_mod.Config,
    status_for: Callable[[dict[str, Any]], dict[str, Any] | None],
    **kwargs: Any,
) -> Observed:
    """Observed after a first reconcile was applied and each child's controller reported `status_for(child)`."""
    first = inferenceservice.reconcile(observe(obj, **kwargs), config)
    children = []
    for child in first.children:
        status = status_for(child)
        children.append(with_status(child, status) if status is not None else copy.deepcopy(child))
    stored = copy.deepcopy(obj)
    stored["status"] = inferenceservice.reconcile(observe(obj, children=tuple(children), **kwargs), config).status
    return observe(stored, children=tuple(children), **kwargs)


def knative_ready(child: dict[str, Any]) -> dict[str, Any] | None:
    if child["kind"] != "Service" or child["apiVersion"] != "serving.knative.dev/v1":
        return None
    name = child["metadata"]["name"]
    return {
        "observedGeneration": 1,
        "url": f"http://{name}.models.svc.cluster.local",
        "latestReadyRevisionName": f"{name}-00001",
        "latestCreatedRevisionName": f"{name}-00001",
        "traffic": [{"revisionName": f"{name}-00001", "latestRevision": True, "percent": 100}],
        "conditions": [{"type": "Ready", "status": "True"}],
    }


def deployment_available(child: dict[str, Any]) -> dict[str, Any] | None:
    if child["kind"] != "Deployment":
        return None
    return {"observedGeneration": 1, "availableReplicas": 1, "conditions": [{"type": "Available", "status": "True"}]}


SA = {
    "apiVersion": "v1",
    "kind": "ServiceAccount",
    "metadata": {"name": "models-sa", "namespace": "models"},
    "secrets": [{"name": "s3"}, {"name": "gcs"}, {"name": "azure"}],
}
S3_SECRET = {
    "metadata": {
        "name": "s3",
        "annotations": {
            "serving.kserve.io/s3-endpoint": "minio.storage:9000",
            "serving.kserve.io/s3-usehttps": "0",
            "serving.kserve.io/s3-region": "eu-west-1",
        },
    },
    "data": {"AWS_ACCESS_KEY_ID": "a2V5", "AWS_SECRET_ACCESS_KEY": "c2VjcmV0"},
}
GCS_SECRET = {"metadata": {"name": "gcs"}, "data": {"gcloud-application-credentials.json": "e30="}}
AZURE_SECRET = {
    "metadata": {"name": "azure"},
    "data": {
        "AZ_CLIENT_ID": "aWQ=",
        "AZ_CLIENT_SECRET": "cw==",
        "AZ_TENANT_ID": "dA==",
        "AZURE_STORAGE_ACCESS_KEY": "aw==",
    },
}


def raw_canary(percent: int | None) -> Observed:
    """A Raw isvc rolled out with model v1, now asking for model v2 with `percent` (None: field removed)."""
    old = isvc(predictor={"sklearn": {"storageUri": "gs://models/iris/v1"}}, annotations=RAW)
    settled_v1 = settled(old, config=CONFIG, status_for=deployment_available)
    predictor: dict[str, Any] = {"sklearn": {"storageUri": "gs://models/iris/v2"}}
    if percent is not None:
        predictor["canaryTrafficPercent"] = percent
    new = isvc(predictor=predictor, annotations=RAW, status=settled_v1.isvc["status"])
    new["metadata"]["generation"] = 2
    children = settled_v1.children
    if percent is None:
        canary = isvc(predictor={**predictor, "canaryTrafficPercent": 10}, annotations=RAW)
        during = inferenceservice.reconcile(observe(canary, children=children), CONFIG)
        children = tuple(
            with_status(c, deployment_available(c)) if c["kind"] == "Deployment" else c for c in during.children
        )
    return observe(new, children=children)


def raw_rollback_after_promotion() -> Observed:
    """A Raw isvc whose v2 canary was promoted and is available, then given `canaryTrafficPercent: 0`: as in KServe,
    a rollback pins the traffic to the version rolled out last, which is now v2."""
    promoted = raw_canary(None)
    plan = inferenceservice.reconcile(promoted, CONFIG)
    children = tuple(with_status(c, deployment_available(c)) if c["kind"] == "Deployment" else c for c in plan.children)
    obj = copy.deepcopy(dict(promoted.isvc))
    obj["status"] = inferenceservice.reconcile(observe(obj, children=children), CONFIG).status
    obj["spec"]["predictor"]["canaryTrafficPercent"] = 0
    obj["metadata"]["generation"] = 3
    return observe(obj, children=children)


def serverless_canary(percent: int) -> Observed:
    first = settled(isvc(predictor=SKLEARN), config=CONFIG, status_for=knative_ready)
    obj = copy.deepcopy(first.isvc)
    obj["spec"]["predictor"] = {"sklearn": {"storageUri": "gs://models/iris/v2"}, "canaryTrafficPercent": percent}
    obj["metadata"]["generation"] = 2
    return observe(obj, children=first.children)


EXPLAINER = {"containers": [{"name": "e", "image": "example/explainer:1"}]}
CASES: dict[str, Callable[[], tuple[Observed, config_mod.Config]]] = {
    "serverless-legacy-sklearn": lambda: (observe(isvc(predictor=SKLEARN)), CONFIG),
    "serverless-model-format-autoscaling": lambda: (
        observe(
            isvc(
                predictor={
                    "model": {
                        "modelFormat": {"name": "sklearn", "version": "1"},
                        "protocolVersion": "v2",
                        "storageUri": "gs://models/iris",
                    },
                    "minReplicas": 0,
                    "maxReplicas": 5,
                    "scaleMetric": "rps",
                    "scaleTarget": 50,
                    "containerConcurrency": 4,
                    "timeout": 30,
                    "labels": {"team": "ml"},
                    "annotations": {"example.com/owner": "ml"},
                }
            )
        ),
        CONFIG,
    ),
    "serverless-transformer": lambda: (
        observe(
            isvc(
                predictor=SKLEARN,
                transformer={
                    "containers": [
                        {
                            "name": "kserve-container",
                            "image": "example/transformer:1",
                            "args": ["--model_name", "{{.Name}}"],
                        }
                    ]
                },
            )
        ),
        CONFIG,
    ),
    "serverless-explainer": lambda: (
        observe(isvc(predictor=SKLEARN, explainer={"containers": [{"name": "e", "image": "example/explainer:1"}]})),
        CONFIG,
    ),
    "serverless-explicit-namespaced-runtime": lambda: (
        observe(
            isvc(
                predictor={
                    "model": {
                        "modelFormat": {"name": "sklearn"},
                        "runtime": "team-sklearn",
                        "storageUri": "gs://m/iris",
                    }
                }
            ),
            runtimes=(
                runtime(
                    "team-sklearn", kind="ServingRuntime", formats=[{"name": "sklearn"}], image="example/sklearn:2"
                ),
            ),
        ),
        CONFIG,
    ),
    "serverless-logger-batcher-modelplane-runtime": lambda: (
        observe(
            isvc(
                predictor={
                    **SKLEARN,
                    "logger": {"url": "http://sink.models", "mode": "request"},
                    "batcher": {"maxBatchSize": 16, "maxLatency": 20},
                }
            )
        ),
        CONFIG,
    ),
    "serverless-logger-batcher-proxy-sidecar": lambda: (
        observe(
            isvc(
                predictor={
                    "triton": {"storageUri": "gs://models/triton", "protocolVersion": "v2"},
                    "logger": {"url": "http://sink.models"},
                    "batcher": {},
                }
            )
        ),
        CONFIG,
    ),
    "serverless-gpu-scheduling": lambda: (
        observe(
            isvc(
                predictor={
                    "triton": {
                        "storageUri": "gs://models/triton",
                        "protocolVersion": "v2",
                        "resources": {
                            "requests": {"cpu": "2", "memory": "8Gi", "nvidia.com/gpu": "1"},
                            "limits": {"cpu": "4", "memory": "16Gi"},
                        },
                    },
                    "nodeSelector": {"nvidia.com/gpu.product": "H100"},
                    "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
                    "affinity": {
                        "nodeAffinity": {
                            "requiredDuringSchedulingIgnoredDuringExecution": {
                                "nodeSelectorTerms": [
                                    {"matchExpressions": [{"key": "gpu", "operator": "In", "values": ["true"]}]}
                                ]
                            }
                        }
                    },
                }
            )
        ),
        CONFIG,
    ),
    "serverless-pvc": lambda: (
        observe(isvc(predictor={"sklearn": {"storageUri": "pvc://model-store/iris/v1"}})),
        CONFIG,
    ),
    "serverless-storage-credentials": lambda: (
        observe(isvc(predictor=S3_MODEL), service_account=SA, secrets=(S3_SECRET, GCS_SECRET, AZURE_SECRET)),
        CONFIG,
    ),
    "serverless-ready": lambda: (settled(isvc(predictor=SKLEARN), config=CONFIG, status_for=knative_ready), CONFIG),
    "serverless-canary-split": lambda: (serverless_canary(10), CONFIG),
    "serverless-canary-rollback": lambda: (serverless_canary(0), CONFIG),
    "no-runtime-fits": lambda: (
        observe(isvc(predictor={"model": {"modelFormat": {"name": "pmml"}, "storageUri": "gs://m/p"}})),
        CONFIG,
    ),
    "named-runtime-missing": lambda: (
        observe(
            isvc(predictor={"model": {"modelFormat": {"name": "sklearn"}, "runtime": "nope", "storageUri": "gs://m/p"}})
        ),
        CONFIG,
    ),
    "raw-explainer-istio": lambda: (observe(isvc(predictor=SKLEARN, explainer=EXPLAINER, annotations=RAW)), CONFIG),
    "raw-explainer-ingress": lambda: (
        observe(isvc(predictor=SKLEARN, explainer=EXPLAINER, annotations=RAW)),
        cfg(routing="ingress", class_name="nginx"),
    ),
    "raw-explainer-gateway-api": lambda: (
        observe(isvc(predictor=SKLEARN, explainer=EXPLAINER, annotations=RAW)),
        cfg(routing="gateway-api", gateway="gateways/public"),
    ),
    "raw-istio": lambda: (
        observe(isvc(predictor={**SKLEARN, "minReplicas": 2, "maxReplicas": 4, "scaleTarget": 60}, annotations=RAW)),
        CONFIG,
    ),
    "raw-standard-ingress": lambda: (
        observe(isvc(predictor=SKLEARN, annotations={"serving.kserve.io/deploymentMode": "Standard"})),
        cfg(routing="ingress", class_name="nginx"),
    ),
    "raw-gateway-api": lambda: (
        observe(isvc(predictor=SKLEARN, annotations=RAW)),
        cfg(routing="gateway-api", gateway="gateways/public"),
    ),
    "raw-memory-hpa": lambda: (
        observe(isvc(predictor={**SKLEARN, "scaleMetric": "memory", "scaleTarget": 70}, annotations=RAW)),
        CONFIG,
    ),
    "raw-autoscaler-none": lambda: (
        observe(
            isvc(
                predictor={**SKLEARN, "minReplicas": 3},
                annotations={**RAW, "serving.kserve.io/autoscalerClass": "none"},
            )
        ),
        CONFIG,
    ),
    "raw-autoscaler-external": lambda: (
        observe(isvc(predictor=SKLEARN, annotations={**RAW, "serving.kserve.io/autoscalerClass": "external"})),
        CONFIG,
    ),
    "raw-transformer": lambda: (
        observe(
            isvc(
                predictor=SKLEARN,
                annotations=RAW,
                transformer={"containers": [{"name": "t", "image": "example/transformer:1"}]},
            )
        ),
        CONFIG,
    ),
    "raw-transformer-names-its-own-predictor": lambda: (
        observe(
            isvc(
                predictor=SKLEARN,
                annotations=RAW,
                transformer={
                    "containers": [
                        {
                            "name": "t",
                            "image": "example/transformer:1",
                            "args": ["--model_name=flowers", "--predictor_host=elsewhere.models:8080"],
                        }
                    ]
                },
            )
        ),
        CONFIG,
    ),
    "raw-ready": lambda: (
        settled(isvc(predictor=SKLEARN, annotations=RAW), config=CONFIG, status_for=deployment_available),
        CONFIG,
    ),
    "raw-multi-model-writable-model-dir": lambda: (
        observe(
            isvc(
                predictor={
                    "model": {"modelFormat": {"name": "sklearn"}, "runtime": "mms", "storageUri": "gs://m/base"}
                },
                annotations=RAW,
            ),
            runtimes=(
                runtime(
                    "mms",
                    formats=[{"name": "sklearn", "autoSelect": False}],
                    kind="ServingRuntime",
                    multiModel=True,
                ),
            ),
        ),
        CONFIG,
    ),
    "raw-storage-cache": lambda: (
        observe(isvc(predictor=SKLEARN, annotations=RAW)),
        config_mod.from_configmap_data({"storageInitializer": '{"cacheHostPath": "/var/cache/modelplane"}'}),
    ),
    "raw-canary-split": lambda: (raw_canary(10), CONFIG),
    "raw-canary-split-ingress": lambda: (raw_canary(25), cfg(routing="ingress")),
    "raw-canary-promote": lambda: (raw_canary(None), CONFIG),
    "raw-canary-rollback": lambda: (raw_canary(0), CONFIG),
    "raw-canary-split-gateway-api": lambda: (raw_canary(10), cfg(routing="gateway-api", gateway="gateways/public")),
    "raw-canary-rollback-after-promotion": lambda: (raw_rollback_after_promotion(), CONFIG),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_reconcile(case: str, golden: Callable[[Any], None], plan_as_data: Callable[[Any], dict[str, Any]]) -> None:
    observed, config = CASES[case]()
    golden(plan_as_data(inferenceservice.reconcile(observed, config)))


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_second_reconcile_changes_nothing(case: str) -> None:
    observed, config = CASES[case]()
    first = inferenceservice.reconcile(observed, config)
    stored = copy.deepcopy(dict(observed.isvc))
    stored["status"] = first.status
    second = inferenceservice.reconcile(
        Observed(**{**observed.__dict__, "isvc": stored, "now": "2026-11-23T00:00:00Z"}), config
    )
    assert second.children == first.children
    assert second.status == first.status
    assert second.prune == first.prune


def test_removed_transformer_is_pruned() -> None:
    with_transformer = isvc(predictor=SKLEARN, transformer={"containers": [{"name": "t", "image": "example/t:1"}]})
    before = inferenceservice.reconcile(observe(with_transformer), CONFIG)
    plan = inferenceservice.reconcile(observe(isvc(predictor=SKLEARN), children=before.children), CONFIG)
    assert plan.prune == (("serving.knative.dev/v1", "Service", "iris-transformer"),)
    assert any(e.reason == "Pruned" for e in plan.events)


def test_mode_switch_prunes_the_other_modes_children() -> None:
    serverless = inferenceservice.reconcile(observe(isvc(predictor=SKLEARN)), CONFIG)
    plan = inferenceservice.reconcile(
        observe(isvc(predictor=SKLEARN, annotations=RAW), children=serverless.children), CONFIG
    )
    assert ("serving.knative.dev/v1", "Service", "iris-predictor") in plan.prune
    assert {c["kind"] for c in plan.children} == {"Deployment", "Service", "HorizontalPodAutoscaler", "VirtualService"}


def test_ready_condition_keeps_its_transition_time() -> None:
    observed = settled(isvc(predictor=SKLEARN), config=CONFIG, status_for=knative_ready)
    first = inferenceservice.reconcile(observed, CONFIG)
    stored = {**observed.isvc, "status": first.status}
    later = inferenceservice.reconcile(
        Observed(**{**observed.__dict__, "isvc": stored, "now": "2030-01-01T00:00:00Z"}), CONFIG
    )
    times = {c["type"]: c["lastTransitionTime"] for c in later.status["conditions"]}
    assert times["Ready"] == NOW


def test_config_default_mode_raw_is_used_without_annotation() -> None:
    config = config_mod.from_configmap_data({"deploy": '{"defaultDeploymentMode": "RawDeployment"}'})
    plan = inferenceservice.reconcile(observe(isvc(predictor=SKLEARN)), config)
    assert any(c["kind"] == "Deployment" for c in plan.children)


def test_recorded_mode_survives_a_change_of_the_configured_default() -> None:
    first = inferenceservice.reconcile(observe(isvc(predictor=SKLEARN)), CONFIG)
    assert first.status["deploymentMode"] == "Serverless"
    stored = isvc(predictor=SKLEARN, status=first.status)
    raw_default = config_mod.from_configmap_data({"deploy": '{"defaultDeploymentMode": "RawDeployment"}'})
    later = inferenceservice.reconcile(observe(stored, children=first.children), raw_default)
    assert later.prune == ()
    assert later.status["deploymentMode"] == "Serverless"
    assert [c["kind"] for c in later.children] == [c["kind"] for c in first.children]


@pytest.mark.parametrize(
    ("kinds", "mode"),
    [
        pytest.param([("serving.knative.dev/v1", "Service"), ("v1", "Service")], "Serverless", id="knative"),
        pytest.param([("apps/v1", "Deployment"), ("v1", "Service")], "RawDeployment", id="deployment"),
        pytest.param([("v1", "Service")], None, id="neither"),
    ],
)
def test_mode_of_existing_children(kinds: list[tuple[str, str]], mode: str | None) -> None:
    children = [{"apiVersion": a, "kind": k, "metadata": {"name": "x"}} for a, k in kinds]
    assert inferenceservice.mode_of_children(children) == mode
