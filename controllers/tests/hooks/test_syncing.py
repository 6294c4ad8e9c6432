"""Tests for modelplane.hooks.syncing through `modelplane hook apply-runtimes|delete-runtimes`, against the local
API server: the rendered runtimes are created with the hooks' field manager; applying a changed set updates the
ones kept and prunes the ones dropped, while a runtime with the same labels that someone else created is left
alone by the prune and by the delete; the delete removes every runtime the hook applied; a folder holding another
kind, or a selector the hook cannot write as labels, ends with exit status 1 and a message naming the problem.
The runtimes carry a test-only release label and names of their own, so the shared cluster's runtimes are never
touched (the uninstall-time path without the CRD runs against a fresh cluster in tests/render)."""

from __future__ import annotations

import json
import pathlib
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from modelplane.cli import __main__ as cli
from modelplane.hooks import connecting

pytestmark = pytest.mark.cluster

ROOT = pathlib.Path(__file__).resolve().parents[3]
KUBECTL = str(ROOT / "bin" / "kubectl")


@pytest.fixture
def release(kube_cluster: pathlib.Path) -> Iterator[str]:
    """A release name of its own; every ClusterServingRuntime labelled with it is deleted afterwards."""
    name = f"hooktest-{uuid.uuid4().hex[:8]}"
    yield name
    subprocess.run(
        [KUBECTL, "--kubeconfig", str(kube_cluster), "delete", "clusterservingruntimes", "-l",
         f"app.kubernetes.io/instance={name}", "--ignore-not-found"],
        capture_output=True, check=False,
    )  # fmt: skip


def selector(release: str) -> str:
    return f"app.kubernetes.io/instance={release},modelplane.io/bundled=true"


def runtime(release: str, suffix: str, *, priority: int = 1) -> dict[str, Any]:
    return {
        "apiVersion": "serving.kserve.io/v1alpha1",
        "kind": "ClusterServingRuntime",
        "metadata": {
            "name": f"{release}-{suffix}",
            "labels": {"app.kubernetes.io/instance": release, "modelplane.io/bundled": "true"},
        },
        "spec": {
            "supportedModelFormats": [{"name": suffix, "version": "1", "autoSelect": True, "priority": priority}],
            "protocolVersions": ["v1"],
            "containers": [{"name": "kserve-container", "image": "modelplane/runtime:0.1.0"}],
        },
    }


def render(folder: pathlib.Path, *runtimes: dict[str, Any]) -> pathlib.Path:
    folder.mkdir(exist_ok=True)
    (folder / "runtimes.yaml").write_text("---\n".join(yaml.safe_dump(r) for r in runtimes))
    return folder


def hook(kubeconfig: pathlib.Path, *args: str) -> int:
    return cli.main(["hook", "--kubeconfig", str(kubeconfig), *args])


def live(kubeconfig: pathlib.Path, release: str) -> dict[str, dict[str, Any]]:
    done = subprocess.run(
        [KUBECTL, "--kubeconfig", str(kubeconfig), "get", "clusterservingruntimes", "-l",
         f"app.kubernetes.io/instance={release}", "-o", "json", "--show-managed-fields"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return {o["metadata"]["name"]: o for o in json.loads(done.stdout)["items"]}


def appliers(obj: dict[str, Any]) -> set[str]:
    return {e["manager"] for e in obj["metadata"].get("managedFields") or [] if e["operation"] == "Apply"}


def test_apply_then_prune_then_delete(
    kube_cluster: pathlib.Path, release: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = render(tmp_path / "first", runtime(release, "sklearn"), runtime(release, "xgboost"))
    assert hook(kube_cluster, "apply-runtimes", "--dir", str(first), "--selector", selector(release)) == 0
    objs = live(kube_cluster, release)
    assert set(objs) == {f"{release}-sklearn", f"{release}-xgboost"}
    assert all(appliers(o) == {connecting.FIELD_MANAGER} for o in objs.values())
    assert "2 ClusterServingRuntime(s) applied, 0 pruned" in capsys.readouterr().out

    # Someone else's runtime with the release's labels: not the hook's to prune or delete.
    foreign = runtime(release, "onnx")
    created = subprocess.run(
        [KUBECTL, "--kubeconfig", str(kube_cluster), "create", "-f", "-"],
        input=json.dumps(foreign), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr

    second = render(tmp_path / "second", runtime(release, "sklearn", priority=7))
    assert hook(kube_cluster, "apply-runtimes", "--dir", str(second), "--selector", selector(release)) == 0
    objs = live(kube_cluster, release)
    assert set(objs) == {f"{release}-sklearn", f"{release}-onnx"}
    assert objs[f"{release}-sklearn"]["spec"]["supportedModelFormats"][0]["priority"] == 7
    out = capsys.readouterr().out
    assert f"deleted ClusterServingRuntime {release}-xgboost" in out
    assert "1 ClusterServingRuntime(s) applied, 1 pruned" in out

    assert hook(kube_cluster, "delete-runtimes", "--selector", selector(release)) == 0
    assert set(live(kube_cluster, release)) == {f"{release}-onnx"}
    assert "1 ClusterServingRuntime(s) deleted" in capsys.readouterr().out


def test_bad_input_fails_naming_the_problem(
    kube_cluster: pathlib.Path, release: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = render(tmp_path / "bad", {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}})
    assert hook(kube_cluster, "apply-runtimes", "--dir", str(folder), "--selector", selector(release)) == 1
    assert "holds a v1 Secret; only serving.kserve.io/v1alpha1 ClusterServingRuntime" in capsys.readouterr().err
    assert hook(kube_cluster, "delete-runtimes", "--selector", f"app.kubernetes.io/instance!={release}") == 1
    assert "is not `label=value`" in capsys.readouterr().err
    assert live(kube_cluster, release) == {}
