"""Tests for modelplane.api.migration: KFServing v1alpha2 and v1beta1 InferenceServices into serving.kserve.io.

Covers: v1beta1 group change only; v1alpha2 default-only; default + canary (canary spec with
canaryTrafficPercent, missing percent as 0, a component only the default has, the canary dropped with
default_only); `parallelism` and
`custom.container`; annotation and label keys renamed; and the errors for shapes with no v1beta1 form
(tensorrt, alibi, modelClassName, missing default or predictor, unknown fields, unknown versions).
"""

from __future__ import annotations

from typing import Any

import pytest
from modelplane.api import migration


def v1alpha2(spec: dict[str, Any], **metadata: Any) -> dict[str, Any]:
    return {
        "apiVersion": "serving.kubeflow.org/v1alpha2",
        "kind": "InferenceService",
        "metadata": {"name": "flowers", **metadata},
        "spec": spec,
    }


TF = {"tensorflow": {"storageUri": "gs://b/flowers"}}
TF2 = {"tensorflow": {"storageUri": "gs://b/flowers-2"}}


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        pytest.param(v1alpha2({"default": {"predictor": TF}}), {"predictor": TF}, id="default-only"),
        pytest.param(
            v1alpha2({"default": {"predictor": TF}, "canaryTrafficPercent": 10, "canary": {"predictor": TF2}}),
            {"predictor": {**TF2, "canaryTrafficPercent": 10}},
            id="canary-10",
        ),
        pytest.param(
            v1alpha2({"default": {"predictor": TF}, "canary": {"predictor": TF2}}),
            {"predictor": {**TF2, "canaryTrafficPercent": 0}},
            id="canary-without-percent",
        ),
        pytest.param(
            v1alpha2(
                {
                    "default": {"predictor": TF, "transformer": {"custom": {"container": {"image": "t:1"}}}},
                    "canaryTrafficPercent": 20,
                    "canary": {"predictor": TF2},
                }
            ),
            {"predictor": {**TF2, "canaryTrafficPercent": 20}, "transformer": {"containers": [{"image": "t:1"}]}},
            id="canary-keeps-default-transformer",
        ),
        pytest.param(
            v1alpha2({"default": {"predictor": {**TF, "parallelism": 4, "minReplicas": 1}}}),
            {"predictor": {**TF, "minReplicas": 1, "containerConcurrency": 4}},
            id="parallelism",
        ),
        pytest.param(
            v1alpha2({"default": {"predictor": {"custom": {"container": {"image": "server:1", "name": "c"}}}}}),
            {"predictor": {"containers": [{"image": "server:1", "name": "c"}]}},
            id="custom-container",
        ),
    ],
)
def test_v1alpha2_specs(document: dict[str, Any], expected: dict[str, Any]) -> None:
    assert migration.needs_migration(document)
    migration.migrate_inference_service(document)
    assert document["apiVersion"] == "serving.kserve.io/v1beta1"
    assert document["spec"] == expected
    assert not migration.needs_migration(document)


def test_canary_note_says_how_traffic_splits() -> None:
    document = v1alpha2({"default": {"predictor": TF}, "canaryTrafficPercent": 10, "canary": {"predictor": TF2}})
    notes = migration.migrate_inference_service(document)
    assert any("90% to the previously rolled-out revision" in note for note in notes)


def test_default_only_drops_the_canary() -> None:
    document = v1alpha2({"default": {"predictor": TF}, "canaryTrafficPercent": 10, "canary": {"predictor": TF2}})
    notes = migration.migrate_inference_service(document, default_only=True)
    assert document["spec"] == {"predictor": TF}
    assert notes == ["dropped spec.canary and spec.canaryTrafficPercent: this is the default spec alone (step 1)"]


def test_v1beta1_changes_only_the_group() -> None:
    spec = {"predictor": {"minReplicas": 2, **TF}}
    document = {
        "apiVersion": "serving.kubeflow.org/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "m"},
        "spec": dict(spec),
    }
    assert migration.migrate_inference_service(document) == []
    assert document == {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "m"},
        "spec": spec,
    }


def test_kfserving_annotation_and_label_keys_are_renamed() -> None:
    document = v1alpha2(
        {"default": {"predictor": TF}},
        annotations={"serving.kubeflow.org/deploymentMode": "Serverless", "team": "a"},
        labels={"serving.kubeflow.org/owner": "x"},
    )
    notes = migration.migrate_inference_service(document)
    assert document["metadata"]["annotations"] == {"team": "a", "serving.kserve.io/deploymentMode": "Serverless"}
    assert document["metadata"]["labels"] == {"serving.kserve.io/owner": "x"}
    assert len(notes) == 2


@pytest.mark.parametrize(
    "document",
    [
        pytest.param({"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService"}, id="already-kserve"),
        pytest.param({"apiVersion": "serving.kubeflow.org/v1alpha2", "kind": "TrainedModel"}, id="other-kind"),
        pytest.param(["not", "a", "mapping"], id="list"),
        pytest.param(None, id="empty-document"),
    ],
)
def test_needs_migration_is_false(document: object) -> None:
    assert not migration.needs_migration(document)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param(
            {**v1alpha2({}), "apiVersion": "serving.kubeflow.org/v1alpha1"}, "v1alpha1 is not one", id="unknown-version"
        ),
        pytest.param({**v1alpha2({}), "spec": None}, "spec is missing", id="no-spec"),
        pytest.param(v1alpha2({"canary": {"predictor": TF}}), "spec.default is missing", id="no-default"),
        pytest.param(
            v1alpha2({"default": {"transformer": {"custom": {"container": {}}}}}),
            "spec.default.predictor is missing",
            id="no-predictor",
        ),
        pytest.param(v1alpha2({"default": {"predictor": TF}, "predictor": TF}), "remove them", id="mixed-fields"),
        pytest.param(
            v1alpha2({"default": {"predictor": {"tensorrt": {"storageUri": "gs://b/m"}}}}), "triton", id="tensorrt"
        ),
        pytest.param(
            v1alpha2({"default": {"predictor": TF, "explainer": {"alibi": {"type": "Anchors"}}}}),
            "custom containers",
            id="alibi",
        ),
        pytest.param(
            v1alpha2({"default": {"predictor": {"pytorch": {"storageUri": "gs://b", "modelClassName": "N"}}}}),
            "modelClassName",
            id="model-class-name",
        ),
        pytest.param(v1alpha2({"default": {"predictor": {"custom": {"image": "x"}}}}), "container", id="custom-shape"),
        pytest.param(
            v1alpha2({"default": {"predictor": TF}, "canary": "yes"}), "spec.canary is not a mapping", id="canary-shape"
        ),
    ],
)
def test_unmigratable_manifests_raise(document: dict[str, Any], message: str) -> None:
    with pytest.raises(migration.MigrationError, match=message):
        migration.migrate_inference_service(document)
