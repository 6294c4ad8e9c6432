"""Render tests of the modelplane-crds chart's ci/ scenarios: each one does what its comment says.

Covers: default (every generated CRD, kept on uninstall, the pre-upgrade check and apply Jobs with their
ConfigMaps and RBAC); gitops (upgrade hooks off: nothing but the CRDs); disposable (no keep policy); private
registry (the hook Jobs' image, pull secret, placement, resources and deadline); labels (extra labels and
annotations on every CRD beside the chart's own). Every scenario file is covered here, so a new one needs a test.
"""

from __future__ import annotations

import pathlib
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.render

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "modelplane-crds"
GENERATED = {p.name.removesuffix(".yaml") for p in (CHART / "files" / "crds").glob("*.yaml")}
HOOK_KINDS = {"Job", "ConfigMap", "ServiceAccount", "ClusterRole", "ClusterRoleBinding"}


def scenario(tools: Any, charts_dir: pathlib.Path, name: str) -> list[dict[str, Any]]:
    return tools.helm_template(charts_dir / "modelplane-crds", "--values", str(CHART / "ci" / f"{name}-values.yaml"))


def crds(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = [o for o in objs if o["kind"] == "CustomResourceDefinition"]
    assert {c["metadata"]["name"] for c in found} == GENERATED
    return found


def jobs(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o for o in objs if o["kind"] == "Job"]


def test_default(tools: Any, charts_dir: pathlib.Path) -> None:
    objs = scenario(tools, charts_dir, "default")
    for crd in crds(objs):
        assert crd["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    assert {o["kind"] for o in objs} >= HOOK_KINDS
    assert sorted(j["metadata"]["name"] for j in jobs(objs)) == [
        "release-crd-upgrade-apply",
        "release-crd-upgrade-check",
    ]


def test_gitops_renders_only_the_crds(tools: Any, charts_dir: pathlib.Path) -> None:
    objs = scenario(tools, charts_dir, "gitops")
    crds(objs)
    assert {o["kind"] for o in objs} == {"CustomResourceDefinition"}


def test_disposable_drops_the_keep_policy(tools: Any, charts_dir: pathlib.Path) -> None:
    for crd in crds(scenario(tools, charts_dir, "disposable")):
        assert "helm.sh/resource-policy" not in (crd["metadata"].get("annotations") or {})


def test_private_registry_reaches_every_hook_job(tools: Any, charts_dir: pathlib.Path) -> None:
    values = yaml.safe_load((CHART / "ci" / "private-registry-values.yaml").read_text())["upgradeHook"]
    found = jobs(scenario(tools, charts_dir, "private-registry"))
    assert len(found) == 2
    for job in found:
        pod = job["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["image"] == f"{values['image']['repository']}:{values['image']['tag']}"
        assert container["imagePullPolicy"] == "Always"
        assert container["resources"] == values["resources"]
        assert pod["imagePullSecrets"] == values["imagePullSecrets"]
        assert pod["nodeSelector"] == values["nodeSelector"]
        assert pod["tolerations"] == values["tolerations"]
        assert job["spec"]["activeDeadlineSeconds"] == values["activeDeadlineSeconds"]


def test_labels_pass_through_beside_the_chart_labels(tools: Any, charts_dir: pathlib.Path) -> None:
    values = yaml.safe_load((CHART / "ci" / "labels-values.yaml").read_text())["crds"]
    for crd in crds(scenario(tools, charts_dir, "labels")):
        meta = crd["metadata"]
        assert values["labels"].items() <= meta["labels"].items()
        assert meta["labels"]["app.kubernetes.io/part-of"] == "modelplane"
        assert values["annotations"].items() <= meta["annotations"].items()
        assert meta["annotations"]["helm.sh/resource-policy"] == "keep"


def test_every_scenario_has_a_test() -> None:
    tested = {"default", "gitops", "disposable", "private-registry", "labels"}
    assert {p.name.removesuffix("-values.yaml") for p in (CHART / "ci").glob("*-values.yaml")} == tested
