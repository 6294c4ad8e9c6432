"""Tests for modelplane.hooks.crds: Kubernetes version priority, the upgrade rules (a stored version dropped or no
longer served, a storage-version downgrade, a brand-new CRD, a safe additive change), loading CRD files, and
reading the Established condition."""

from __future__ import annotations

import copy
import pathlib
from typing import Any

import pytest
import yaml
from modelplane.hooks import crds, errors


def crd(*versions: tuple[str, bool, bool], stored: list[str] | None = None) -> dict[str, Any]:
    """A CRD with (name, served, storage) versions and, when given, status.storedVersions."""
    obj: dict[str, Any] = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "inferenceservices.serving.kserve.io"},
        "spec": {"versions": [{"name": n, "served": s, "storage": st} for n, s, st in versions]},
    }
    if stored is not None:
        obj["status"] = {"storedVersions": stored}
    return obj


def test_version_priority_matches_kubernetes_order() -> None:
    versions = ["v1alpha1", "v1", "v11alpha2", "v2beta1", "v1beta1", "foo", "v10", "v2", "v10beta3"]
    ordered = sorted(versions, key=crds.version_key, reverse=True)
    assert ordered == ["v10", "v2", "v1", "v10beta3", "v2beta1", "v1beta1", "v11alpha2", "v1alpha1", "foo"]


@pytest.mark.parametrize(
    ("live", "new", "expected"),
    [
        pytest.param(None, crd(("v1beta1", True, True)), [], id="new-crd"),
        pytest.param(
            crd(("v1beta1", True, True), stored=["v1beta1"]), crd(("v1beta1", True, True)), [], id="same-versions"
        ),
        pytest.param(
            crd(("v1beta1", True, True), stored=["v1beta1"]),
            crd(("v1beta1", True, False), ("v1", True, True)),
            [],
            id="upgrade-to-ga",
        ),
        pytest.param(
            crd(("v1alpha1", True, False), ("v1beta1", True, True), stored=["v1alpha1", "v1beta1"]),
            crd(("v1beta1", True, True)),
            ["objects are stored as v1alpha1, which the new CRD no longer lists"],
            id="stored-version-dropped",
        ),
        pytest.param(
            crd(("v1alpha1", True, False), ("v1beta1", True, True), stored=["v1alpha1", "v1beta1"]),
            crd(("v1alpha1", False, False), ("v1beta1", True, True)),
            ["which the new CRD stops serving"],
            id="stored-version-unserved",
        ),
        pytest.param(
            crd(("v1beta1", True, False), ("v1", True, True), stored=["v1"]),
            crd(("v1beta1", True, True), ("v1", True, False)),
            ["the new CRD stores v1beta1, older than the installed v1: this is a downgrade"],
            id="downgrade",
        ),
    ],
)
def test_upgrade_problems(live: dict[str, Any] | None, new: dict[str, Any], expected: list[str]) -> None:
    problems = crds.upgrade_problems(live=live, new=new)
    assert len(problems) == len(expected)
    for problem, fragment in zip(problems, expected, strict=True):
        assert fragment in problem
        assert problem.startswith("inferenceservices.serving.kserve.io: ")


def test_a_crd_with_two_storage_versions_is_malformed() -> None:
    with pytest.raises(errors.HookError, match="marks 2 versions as storage"):
        crds.storage_version(crd(("v1", True, True), ("v2", True, True)))


def test_load_reads_every_crd_in_name_order(tmp_path: pathlib.Path) -> None:
    first, second = crd(("v1", True, True)), copy.deepcopy(crd(("v1", True, True)))
    second["metadata"]["name"] = "trainedmodels.serving.kserve.io"
    (tmp_path / "b.yaml").write_text(yaml.safe_dump(second))
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(first))
    (tmp_path / "notes.txt").write_text("ignored")
    assert crds.names(crds.load(tmp_path)) == [
        "inferenceservices.serving.kserve.io",
        "trainedmodels.serving.kserve.io",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(None, "holds no CRD", id="empty-folder"),
        pytest.param("kind: ConfigMap\nmetadata: {name: x}\n", "holds a 'ConfigMap'", id="wrong-kind"),
        pytest.param("a: [unclosed\n", "is not valid YAML", id="bad-yaml"),
    ],
)
def test_load_refuses_bad_folders(tmp_path: pathlib.Path, content: str | None, message: str) -> None:
    if content is not None:
        (tmp_path / "x.yaml").write_text(content)
    with pytest.raises(errors.HookError, match=message):
        crds.load(tmp_path)


def test_load_refuses_a_missing_folder(tmp_path: pathlib.Path) -> None:
    with pytest.raises(errors.HookError, match="is not a directory"):
        crds.load(tmp_path / "absent")


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        pytest.param(None, False, id="absent"),
        pytest.param({}, False, id="no-status"),
        pytest.param({"conditions": [{"type": "NamesAccepted", "status": "True"}]}, False, id="names-only"),
        pytest.param({"conditions": [{"type": "Established", "status": "False"}]}, False, id="not-yet"),
        pytest.param(
            {"conditions": [{"type": "NamesAccepted", "status": "True"}, {"type": "Established", "status": "True"}]},
            True,
            id="established",
        ),
    ],
)
def test_established_reads_the_condition(status: dict[str, Any] | None, expected: bool) -> None:
    live = None if status is None else {**crd(("v1", True, True)), "status": status}
    assert crds.established(live) is expected
