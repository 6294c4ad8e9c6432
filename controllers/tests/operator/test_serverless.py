"""Serverless journeys against the local control plane, with the operator running as a process.

Covers: an InferenceService created with the kserve SDK's KServeClient gets its Knative Service and top-level
VirtualService; once the test reports the Knative Service Ready (as Knative would), the InferenceService turns Ready
with its URL; a second reconcile of the unchanged object writes nothing (no resourceVersion moves); deleting the
InferenceService removes every child.
"""

from __future__ import annotations

import pathlib
from typing import Any

import pytest
from kserve import KServeClient, constants
from kubernetes.client import V1ObjectMeta
from modelplane.operator import applying, clients, observing
from modelplane.reconcile import config as config_mod
from modelplane.reconcile import inferenceservice

pytestmark = pytest.mark.cluster


class SdkManifest(dict[str, Any]):
    """A manifest as KServeClient.create takes it: kserve 0.21 reads `.api_version` and `.metadata.namespace`, and
    the kubernetes 37 client it calls accepts only a dict body (its pydantic check refuses the SDK's model objects,
    whose serialisation also keeps snake_case keys), so the body is both."""

    @property
    def api_version(self) -> str:
        return str(self["apiVersion"])

    @property
    def metadata(self) -> V1ObjectMeta:
        return V1ObjectMeta(name=self["metadata"]["name"], namespace=self["metadata"]["namespace"])


def _sdk_create(kubeconfig: pathlib.Path, *, name: str, namespace: str) -> KServeClient:
    client = KServeClient(config_file=str(kubeconfig))
    isvc = SdkManifest(
        apiVersion=constants.KSERVE_V1BETA1,
        kind=constants.KSERVE_KIND_INFERENCESERVICE,
        metadata={"name": name, "namespace": namespace},
        spec={"predictor": {"sklearn": {"storageUri": "gs://kfserving-examples/models/sklearn/1.0/model"}}},
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
    _, writes = applying.apply_children(cluster, plan=plan, observed=observed)
    status_written = applying.patch_status(cluster, obj=observed.isvc, status=plan.status)

    assert (writes, status_written) == (0, False)
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
