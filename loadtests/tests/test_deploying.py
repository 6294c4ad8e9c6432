"""Covers deploying (the scaling benchmark's InferenceServices on a cluster): the model store serves the model
file from a ConfigMap under the path the storage URIs name; each replica count becomes a Raw-mode InferenceService
with that many fixed replicas (no autoscaler) reading its model from the store; against the local control plane
(process node and local ingress up), a seconds-long scaling run through the ingress answers every request and
leaves no namespace behind."""

from __future__ import annotations

import base64
import json
import pathlib
import subprocess
import uuid

import pytest
from modelplane.loadtest import deploying, results

from .conftest import loadtest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_manifests_store_the_model_and_fix_the_replica_counts() -> None:
    objects = deploying.manifests(model_file="model.joblib", model_bytes=b"\x80model", counts=[1, 4])
    configmap, store, service, *isvcs = objects
    assert base64.b64decode(configmap["binaryData"]["sklearn--model.joblib"]) == b"\x80model"
    (volume,) = store["spec"]["volumes"]
    assert volume["configMap"]["items"] == [{"key": "sklearn--model.joblib", "path": "sklearn/model.joblib"}]
    assert service["spec"]["selector"] == store["metadata"]["labels"]
    assert [i["metadata"]["name"] for i in isvcs] == ["scaling-1", "scaling-4"]
    for isvc, count in zip(isvcs, [1, 4], strict=True):
        annotations = isvc["metadata"]["annotations"]
        assert annotations["serving.kserve.io/deploymentMode"] == "RawDeployment"
        assert annotations["serving.kserve.io/autoscalerClass"] == "none"
        predictor = isvc["spec"]["predictor"]
        assert (predictor["minReplicas"], predictor["maxReplicas"]) == (count, count)
        assert predictor["model"]["storageUri"] == "http://model-store/sklearn/model.joblib"


@pytest.mark.cluster
def test_scaling_smoke_through_the_local_ingress(
    tmp_path: pathlib.Path, kube_cluster: pathlib.Path, process_node: pathlib.Path, local_ingress: str
) -> None:
    namespace = f"loadtest-smoke-{uuid.uuid4().hex[:6]}"
    done = loadtest(
        "scaling", "--replicas", "2", "--kubeconfig", str(kube_cluster), "--ingress", local_ingress,
        "--namespace", namespace, "--out", str(tmp_path),
        "--levels", "20", "--step-s", "1", "--min-arrivals", "0", "--max-requests", "200",
        timeout=400,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "scaling-2: Ready with 2 pods" in done.stdout
    two = results.read(tmp_path / "scaling-2_levels.csv")
    assert sum(row.ok for row in two) == 20
    assert all(row.failed == 0 for row in two)
    assert "## 2 replicas (ingress)" in (tmp_path / "scaling-sklearn-ingress.md").read_text()
    phase = subprocess.run(
        [str(ROOT / "bin" / "kubectl"), "--kubeconfig", str(kube_cluster), "get", "namespace", namespace, "-o", "json",
         "--ignore-not-found"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert not phase.strip() or json.loads(phase)["status"]["phase"] == "Terminating"
