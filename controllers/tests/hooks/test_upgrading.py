"""Tests for modelplane.hooks.upgrading through `modelplane hook check-crds|apply-crds`, against the local API
server: a CRD is created, then upgraded with a new field (the stored CRD gains it), and an upgrade that drops a
stored version or downgrades the storage version is refused with a message naming the version; `apply-manifests`
waits for a CRD that arrives later in the same release, and gives up naming the kind. The CRD is
Modelplane's TrainedModel CRD moved to a group of its own, so the shared cluster's real CRDs are never touched."""

from __future__ import annotations

import copy
import pathlib
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from kubernetes import client
from modelplane.cli import __main__ as cli
from modelplane.hooks import connecting, upgrading

pytestmark = pytest.mark.cluster

ROOT = pathlib.Path(__file__).resolve().parents[3]
SOURCE = ROOT / "charts" / "modelplane-crds" / "files" / "crds" / "trainedmodels.serving.kserve.io.yaml"


@pytest.fixture
def crd(cluster: connecting.Cluster) -> Iterator[dict[str, Any]]:
    """The TrainedModel CRD in a unique group; deleted after the test."""
    obj = yaml.safe_load(SOURCE.read_text())
    group = f"hooktest{uuid.uuid4().hex[:8]}.modelplane.dev"
    obj["spec"]["group"] = group
    obj["metadata"] = {"name": f"{obj['spec']['names']['plural']}.{group}"}
    yield obj
    try:
        client.ApiextensionsV1Api(cluster.api).delete_custom_resource_definition(obj["metadata"]["name"])
    except client.ApiException as exc:
        if exc.status != 404:
            raise


def write(folder: pathlib.Path, crd: dict[str, Any]) -> pathlib.Path:
    folder.mkdir(exist_ok=True)
    (folder / "crd.yaml").write_text(yaml.safe_dump(crd))
    return folder


def hook(kubeconfig: pathlib.Path, *args: str) -> int:
    return cli.main(["hook", "--kubeconfig", str(kubeconfig), *args])


def spec_properties(live: dict[str, Any], version: str) -> dict[str, Any]:
    entry = next(v for v in live["spec"]["versions"] if v["name"] == version)
    return dict(entry["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"])


def test_upgrade_adds_a_field_to_the_stored_crd(
    kube_cluster: pathlib.Path,
    cluster: connecting.Cluster,
    crd: dict[str, Any],
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    name, version = crd["metadata"]["name"], crd["spec"]["versions"][0]["name"]
    assert hook(kube_cluster, "apply-crds", "--dir", str(write(tmp_path / "v1", crd))) == 0
    live = upgrading.live_crd(cluster, name=name)
    assert live is not None
    assert "canaryNote" not in spec_properties(live, version)

    newer = copy.deepcopy(crd)
    props = newer["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    props["canaryNote"] = {"type": "string", "description": "a field the next release adds"}
    folder = write(tmp_path / "v2", newer)
    assert hook(kube_cluster, "check-crds", "--dir", str(folder)) == 0
    assert hook(kube_cluster, "apply-crds", "--dir", str(folder)) == 0
    live = upgrading.live_crd(cluster, name=name)
    assert live is not None
    assert spec_properties(live, version)["canaryNote"]["type"] == "string"
    out = capsys.readouterr().out
    assert "safe to apply" in out
    assert f"applied {name}" in out


def test_dropping_a_stored_version_is_refused(
    kube_cluster: pathlib.Path, crd: dict[str, Any], tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stored = crd["spec"]["versions"][0]["name"]
    assert hook(kube_cluster, "apply-crds", "--dir", str(write(tmp_path / "v1", crd))) == 0
    renamed = copy.deepcopy(crd)
    renamed["spec"]["versions"][0]["name"] = "v2"
    capsys.readouterr()
    assert hook(kube_cluster, "check-crds", "--dir", str(write(tmp_path / "v2", renamed))) == 1
    err = capsys.readouterr().err
    assert f"objects are stored as {stored}, which the new CRD no longer lists" in err
    assert "modelplane hook: 1 CRD upgrade problem(s); see UPGRADE.md" in err


def test_a_storage_downgrade_is_refused(
    kube_cluster: pathlib.Path, crd: dict[str, Any], tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = crd["spec"]["versions"][0]
    newer = copy.deepcopy(crd)
    ga = copy.deepcopy(old)
    ga["name"], old_entry = "v1", next(v for v in newer["spec"]["versions"] if v["name"] == old["name"])
    old_entry["storage"] = False
    newer["spec"]["versions"].append(ga)
    assert hook(kube_cluster, "apply-crds", "--dir", str(write(tmp_path / "ga", newer))) == 0
    capsys.readouterr()
    assert hook(kube_cluster, "check-crds", "--dir", str(write(tmp_path / "back", crd))) == 1
    assert (
        f"the new CRD stores {old['name']}, older than the installed v1: this is a downgrade" in capsys.readouterr().err
    )


def test_a_missing_folder_is_one_line(
    kube_cluster: pathlib.Path, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert hook(kube_cluster, "check-crds", "--dir", str(tmp_path / "absent")) == 1
    assert capsys.readouterr().err.strip().endswith("is not a directory; pass the folder the CRD files are mounted in")


def test_apply_manifests_waits_for_a_crd_arriving_later(
    kube_cluster: pathlib.Path,
    cluster: connecting.Cluster,
    crd: dict[str, Any],
    namespace: str,
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The KnativeServing case: the object's CRD is applied by another part of the same release, seconds later."""
    group, version = crd["spec"]["group"], crd["spec"]["versions"][0]["name"]
    obj = {
        "apiVersion": f"{group}/{version}",
        "kind": "TrainedModel",
        "metadata": {"name": "late", "namespace": namespace},
        "spec": {"inferenceService": "x", "model": {"storageUri": "s3://b/m", "framework": "sklearn", "memory": "1Gi"}},
    }
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "object.yaml").write_text(yaml.safe_dump(obj))
    later = threading.Timer(3.0, lambda: cluster.apply(crd))
    later.start()
    try:
        status = hook(kube_cluster, "apply-manifests", "--dir", str(folder), "--wait-for-crd", "60")
    finally:
        later.join()
    assert status == 0
    stored = client.CustomObjectsApi(cluster.api).get_namespaced_custom_object(
        group, version, namespace, "trainedmodels", "late"
    )
    assert stored["spec"]["model"]["framework"] == "sklearn"
    assert "1 object(s) applied" in capsys.readouterr().out


def test_apply_manifests_gives_up_naming_the_kind(
    kube_cluster: pathlib.Path, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    obj = {"apiVersion": "nowhere.modelplane.dev/v1", "kind": "Ghost", "metadata": {"name": "g"}}
    (tmp_path / "ghost.yaml").write_text(yaml.safe_dump(obj))
    assert hook(kube_cluster, "apply-manifests", "--dir", str(tmp_path), "--wait-for-crd", "1") == 1
    assert "does not serve Ghost (nowhere.modelplane.dev/v1)" in capsys.readouterr().err
