"""Tests of what the operator caches and reads: children slimmed to what reconciles use, kopf's bookkeeping dropped
from cached objects, and which storage URIs need the ServiceAccount's credentials.
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
    }


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
