"""Serverless journeys against the local control plane, with the operator running as a process.

Covers: an InferenceService created with the kserve SDK's KServeClient (from its V1beta1InferenceService model
classes, unchanged) gets its Knative Service and top-level VirtualService; once the test reports the Knative Service
Ready (as Knative would), the InferenceService turns Ready with its URL; a second reconcile of the unchanged object
writes nothing (no resourceVersion moves, even from a replica that never applied its children, and the next one sends
nothing); deleting the InferenceService removes every child.
"""

from __future__ import annotations

import pathlib
from typing import Any

import pytest
from kserve import (
    KServeClient,
    V1beta1InferenceService,
    V1beta1InferenceServiceSpec,
    V1beta1PredictorSpec,
    V1beta1SKLearnSpec,
    constants,
)
from kubernetes.client import V1ObjectMeta
from modelplane.operator import applying, clients, observing
from modelplane.reconcile import config as config_mod
from modelplane.reconcile import inferenceservice

pytestmark = pytest.mark.cluster


def _sdk_create(kubeconfig: pathlib.Path, *, name: str, namespace: str) -> KServeClient:
    """Create the InferenceService exactly as KServe's documentation does, with the SDK's own model classes."""
    client = KServeClient(config_file=str(kubeconfig))
    isvc = V1beta1InferenceService(
        api_version=constants.KSERVE_V1BETA1,
        kind=constants.KSERVE_KIND_INFERENCESERVICE,
        # The mode is explicit: a shared cluster may run another controller whose configured default is Raw.
        metadata=V1ObjectMeta(
            name=name, namespace=namespace, annotations={"serving.kserve.io/deploymentMode": "Serverless"}
        ),
        spec=V1beta1InferenceServiceSpec(
            predictor=V1beta1PredictorSpec(
                sklearn=V1beta1SKLearnSpec(storage_uri="gs://kfserving-examples/models/sklearn/1.0/model")
            )
        ),
    )
    client.create(isvc, namespace=namespace)
    return client


def _children_versions(kube: Any, *, name: str, namespace: str) -> dict[str, str]:
    versions = {}
    for kind in (
        "services.serving.knative.dev",
        "virtualservices.v1beta1.networking.istio.io",
    ):
        for obj in kube.list(
            kind,
            namespace=namespace,
            selector=f"serving.kserve.io/inferenceservice={name}",
        ):
            versions[f"{kind}/{obj['metadata']['name']}"] = obj["metadata"]["resourceVersion"]
    return versions


def test_sdk_isvc_gets_knative_service_and_route_then_turns_ready(
    control_plane: pathlib.Path, namespace: str, kube: Any
) -> None:
    client = _sdk_create(control_plane, name="sklearn-iris", namespace=namespace)
    ksvc = kube.wait_for(
        "the Knative Service",
        lambda: kube.get(
            "services.serving.knative.dev",
            "sklearn-iris-predictor",
            namespace=namespace,
        ),
    )
    vs = kube.wait_for(
        "the VirtualService",
        lambda: kube.get(
            "virtualservices.v1beta1.networking.istio.io",
            "sklearn-iris",
            namespace=namespace,
        ),
    )
    annotations = ksvc["spec"]["template"]["metadata"]["annotations"]
    assert annotations["autoscaling.knative.dev/class"] == "kpa.autoscaling.knative.dev"
    assert ksvc["metadata"]["ownerReferences"][0]["kind"] == "InferenceService"
    assert vs["spec"]["hosts"][0] == f"sklearn-iris-{namespace}.example.com"
    assert kube.condition(kube.get("inferenceservice", "sklearn-iris", namespace=namespace), "Ready") == "False"

    kube.mark_knative_ready(
        "sklearn-iris-predictor",
        namespace=namespace,
        revision="sklearn-iris-predictor-00001",
    )

    ready = kube.wait_for(
        "the InferenceService to turn Ready",
        lambda: (
            (obj := kube.get("inferenceservice", "sklearn-iris", namespace=namespace))
            and kube.condition(obj, "Ready") == "True"
            and obj
        ),
    )
    assert ready["status"]["url"] == f"http://sklearn-iris-{namespace}.example.com"
    assert ready["status"]["components"]["predictor"]["latestReadyRevision"] == "sklearn-iris-predictor-00001"
    sdk_view = client.get("sklearn-iris", namespace=namespace)
    assert sdk_view["status"]["url"] == ready["status"]["url"]


def test_second_reconcile_of_unchanged_object_writes_nothing(
    control_plane: pathlib.Path, namespace: str, kube: Any
) -> None:
    _sdk_create(control_plane, name="steady", namespace=namespace)
    kube.wait_for(
        "the VirtualService",
        lambda: kube.get("virtualservices.v1beta1.networking.istio.io", "steady", namespace=namespace),
    )
    kube.mark_knative_ready("steady-predictor", namespace=namespace, revision="steady-predictor-00001")
    kube.wait_for(
        "Ready",
        lambda: kube.condition(kube.get("inferenceservice", "steady", namespace=namespace), "Ready") == "True",
    )
    before_isvc = kube.get("inferenceservice", "steady", namespace=namespace)
    before_children = _children_versions(kube, name="steady", namespace=namespace)

    cluster = clients.Cluster.connect()
    config = config_mod.Config()
    children = [
        *kube.list("services.serving.knative.dev", namespace=namespace),
        *kube.list("virtualservices.v1beta1.networking.istio.io", namespace=namespace),
    ]
    observed = observing.observe_inference_service(
        cluster,
        isvc=before_isvc,
        children=children,
        runtimes=(),
        cluster_runtimes=kube.list("clusterservingruntimes", namespace=namespace),
        config=config,
    )
    plan = inferenceservice.reconcile(observed, config)
    book: applying.AppliedBook = {}
    # A replica that never applied these children (a new leader) sends them once: server-side apply changes nothing.
    first = applying.apply_children(cluster, plan=plan, observed=observed, book=book)
    # Now it knows what it applied, so the same reconcile sends nothing at all.
    second = applying.apply_children(cluster, plan=plan, observed=observed, book=book)
    status_written = applying.patch_status(cluster, obj=before_isvc, status=plan.status)

    assert (first.writes, first.repaired, second.writes, second.repaired, status_written) == (0, [], 0, [], False)
    assert len(book) == len(plan.children)
    assert (
        kube.get("inferenceservice", "steady", namespace=namespace)["metadata"]["resourceVersion"]
        == before_isvc["metadata"]["resourceVersion"]
    )
    assert _children_versions(kube, name="steady", namespace=namespace) == before_children


def test_deleting_the_isvc_removes_every_child(control_plane: pathlib.Path, namespace: str, kube: Any) -> None:
    client = _sdk_create(control_plane, name="doomed", namespace=namespace)
    kube.wait_for(
        "the VirtualService",
        lambda: kube.get("virtualservices.v1beta1.networking.istio.io", "doomed", namespace=namespace),
    )
    client.delete("doomed", namespace=namespace)
    kube.wait_for(
        "garbage collection of the children",
        lambda: not _children_versions(kube, name="doomed", namespace=namespace),
        timeout=90,
    )
