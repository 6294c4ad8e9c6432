"""Covers deploying (the scaling benchmark's InferenceServices on a cluster): the model store serves the model
file from a ConfigMap under the path the storage URIs name; each replica count becomes a Raw-mode InferenceService
with that many fixed replicas (no autoscaler) reading its model from the store. The seconds-long scaling run
through a cluster's ingress is an e2e journey (e2e/test_loadtest_scaling.py): it needs the installed platform."""

from __future__ import annotations

import base64

from modelplane.loadtest import deploying


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
