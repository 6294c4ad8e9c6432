"""Tests of what the operator caches and reads: children slimmed to what reconciles use (with a content digest in
place of the spec, which moves with spec, labels and owners but not with status), kopf's bookkeeping dropped from
cached objects, which storage URIs need the ServiceAccount's credentials, and a TrainedModel's observation: its
siblings on the same parent only, and the parent's ready replicas, none of which holds the model when none answers.
"""

from __future__ import annotations

import pytest
from modelplane.operator import observing

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {
        "name": "iris-predictor",
        "namespace": "m",
        "generation": 3,
        "labels": {"serving.kserve.io/inferenceservice": "iris"},
        "annotations": {
            "serving.kserve.io/applied-hash": "abc",
            "deployment.kubernetes.io/revision": "3",
        },
        "managedFields": [{"manager": "modelplane"}],
    },
    "spec": {"template": {"spec": {"containers": [{"name": "kserve-container"}]}}},
    "status": {"availableReplicas": 1},
}


def test_child_keeps_identity_generation_own_annotations_and_status() -> None:
    assert observing.slim_child(DEPLOYMENT) == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "iris-predictor",
            "namespace": "m",
            "generation": 3,
            "labels": {"serving.kserve.io/inferenceservice": "iris"},
            "annotations": {"serving.kserve.io/applied-hash": "abc"},
        },
        "status": {"availableReplicas": 1},
        observing.DIGEST: observing.content_digest(DEPLOYMENT),
    }


def test_slimming_twice_keeps_the_digest() -> None:
    once = observing.slim_child(DEPLOYMENT)
    assert observing.slim_child(once) == once


def test_content_digest_follows_spec_labels_and_owners_but_not_status() -> None:
    digest = observing.content_digest(DEPLOYMENT)
    assert observing.content_digest({**DEPLOYMENT, "status": {"availableReplicas": 3}}) == digest
    edited = {**DEPLOYMENT, "spec": {"replicas": 5}}
    relabelled = {**DEPLOYMENT, "metadata": {**DEPLOYMENT["metadata"], "labels": {}}}
    orphaned = {**DEPLOYMENT, "metadata": {**DEPLOYMENT["metadata"], "ownerReferences": [{"uid": "x"}]}}
    assert len({digest, *(observing.content_digest(o) for o in (edited, relabelled, orphaned))}) == 4


def _tm(name: str, parent: str, **metadata: object) -> dict[str, object]:
    return {
        "metadata": {"name": name, "namespace": "m", **metadata},
        "spec": {"inferenceService": parent, "model": {"framework": "sklearn", "memory": "1Mi"}},
    }


def test_trained_model_observation_keeps_live_siblings_of_its_parent_and_asks_each_replica() -> None:
    slices = [
        {
            "addressType": "IPv4",
            "ports": [{"name": "http", "port": 1}],  # port 1 on loopback: nobody answers
            "endpoints": [{"addresses": ["127.0.0.1"], "targetRef": {"kind": "Pod", "namespace": "m"}}],
        }
    ]
    observed = observing.observe_trained_model(
        trained_model=_tm("a", "mms"),
        parent={"metadata": {"name": "mms", "namespace": "m"}},
        siblings=[_tm("a", "mms"), _tm("b", "mms"), _tm("c", "other"), _tm("d", "mms", deletionTimestamp="t")],
        endpoints=slices,
        runtimes=(),
        cluster_runtimes=(),
    )
    assert [s["metadata"]["name"] for s in observed.siblings] == ["b"]
    assert [(r.address, r.loaded) for r in observed.replicas] == [("127.0.0.1:1", False)]


def test_cached_object_drops_managed_fields_and_kopf_annotations() -> None:
    isvc = {
        "metadata": {
            "name": "iris",
            "managedFields": [{}],
            "annotations": {"kopf.zalando.org/last-handled-configuration": "{}", "team": "ml"},
        },
        "spec": {"predictor": {}},
    }
    assert observing.slim(isvc) == {
        "metadata": {"name": "iris", "annotations": {"team": "ml"}},
        "spec": {"predictor": {}},
    }


@pytest.mark.parametrize(
    ("predictor", "account"),
    [
        ({"sklearn": {"storageUri": "s3://b/m"}}, "default"),
        ({"model": {"storageUri": "gs://b/m"}, "serviceAccountName": "models"}, "models"),
        ({"sklearn": {"storageUri": "pvc://claim/m"}}, None),
        ({"containers": [{"name": "c", "image": "i"}]}, None),
    ],
    ids=["s3-default-account", "gcs-named-account", "pvc-needs-none", "custom-container"],
)
def test_which_predictors_need_credentials(predictor: dict[str, object], account: str | None) -> None:
    assert observing.service_account_for({"spec": {"predictor": predictor}}) == account
