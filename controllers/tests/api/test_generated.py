"""Tests for modelplane.api.generated: the generated files, and that the tree holds exactly them.

Covers: the file list (CRDs in both charts/ and overlays/, the overlay's kustomization, RBAC in both forms),
deterministic text, the header line, both CRD copies identical, and the committed files equal to a fresh
rendering (the same check as `make verify`, read-only).
"""

from __future__ import annotations

import pathlib

import pytest
import yaml
from modelplane.api import generated

ROOT = pathlib.Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    """One rendering shared by the tests of this module (rendering takes about a second)."""
    return generated.files()


PLURALS = ["clusterservingruntimes", "inferenceservices", "servingruntimes", "trainedmodels"]


def test_file_list(files: dict[str, str]) -> None:
    expected = {
        f"{folder}/{plural}.serving.kserve.io.yaml"
        for folder in ("charts/modelplane-crds/files/crds", "overlays/bases/crds")
        for plural in PLURALS
    }
    expected |= {
        "overlays/bases/crds/kustomization.yaml",
        "charts/modelplane/files/rbac/clusterrole-rules.yaml",
        "overlays/bases/rbac/clusterrole.yaml",
    }
    assert set(files) == expected
    assert list(files) == sorted(files)


def test_rendering_is_deterministic_and_headed(files: dict[str, str]) -> None:
    assert generated.files() == files
    for text in files.values():
        assert text.startswith(generated.HEADER)


def test_chart_and_overlay_crds_are_identical(files: dict[str, str]) -> None:
    for plural in PLURALS:
        name = f"{plural}.serving.kserve.io.yaml"
        assert files[f"charts/modelplane-crds/files/crds/{name}"] == files[f"overlays/bases/crds/{name}"]


def test_kustomization_lists_every_crd(files: dict[str, str]) -> None:
    kustomization = yaml.safe_load(files["overlays/bases/crds/kustomization.yaml"])
    assert kustomization["resources"] == [f"{plural}.serving.kserve.io.yaml" for plural in PLURALS]


def test_rules_file_is_a_list_of_rules(files: dict[str, str]) -> None:
    rules = yaml.safe_load(files["charts/modelplane/files/rbac/clusterrole-rules.yaml"])
    assert isinstance(rules, list)
    assert all(set(rule) == {"apiGroups", "resources", "verbs"} for rule in rules)


def test_tree_holds_the_generated_files(files: dict[str, str]) -> None:
    drifted = [
        relative
        for relative, text in files.items()
        if not (ROOT / relative).is_file() or (ROOT / relative).read_text(encoding="utf-8") != text
    ]
    assert drifted == [], "run `make generate` and commit the result"
