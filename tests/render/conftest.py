"""Fixtures of the render tests: `tools` (helm and kustomize from bin/, output as dicts) and `charts_dir`, the
charts copied with charts/platform keeping only its file:// dependencies (the upstream ones need
`helm dependency build`, the one online step)."""

from __future__ import annotations

import functools
import pathlib
import shutil
import subprocess
from typing import Any

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
HELM = str(ROOT / "bin" / "helm")
KUSTOMIZE = str(ROOT / "bin" / "kustomize")
KUBE_VERSION = "1.34.4"  # the pinned Kubernetes release (hack/install-tools.sh)
CHARTS = ("modelplane-crds", "modelplane", "platform")


class Tools:
    """helm and kustomize from bin/, their output parsed into objects; failures raise with the tool's stderr."""

    root = ROOT

    @staticmethod
    def run(*cmd: str) -> subprocess.CompletedProcess[str]:
        return run(*cmd)

    @staticmethod
    def helm_template(chart: pathlib.Path, *args: str, namespace: str = "modelplane-system") -> list[dict[str, Any]]:
        return helm_template(chart, *args, namespace=namespace)

    @staticmethod
    def kustomize_build(path: pathlib.Path) -> list[dict[str, Any]]:
        return kustomize_build(path)


@pytest.fixture(scope="session")
def tools() -> Tools:
    for tool in (HELM, KUSTOMIZE):
        if not pathlib.Path(tool).exists():
            pytest.fail(f"{tool} is missing: run `make tools`")
    return Tools()


def run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(cmd), capture_output=True, text=True, check=False)


def objects(text: str) -> list[dict[str, Any]]:
    return [o for o in yaml.safe_load_all(text) if o]


def helm_template(chart: pathlib.Path, *args: str, namespace: str = "modelplane-system") -> list[dict[str, Any]]:
    return objects(_helm_template_text(chart, args, namespace))


@functools.cache
def _helm_template_text(chart: pathlib.Path, args: tuple[str, ...], namespace: str) -> str:
    """helm's output, cached: several tests look at the same rendering (each gets freshly parsed objects)."""
    done = run(HELM, "template", "release", str(chart), "--namespace", namespace, "--kube-version", KUBE_VERSION, *args)
    if done.returncode != 0:
        raise AssertionError(f"helm template {chart.name} {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def kustomize_build(path: pathlib.Path) -> list[dict[str, Any]]:
    return objects(_kustomize_build_text(path.resolve()))


@functools.cache
def _kustomize_build_text(path: pathlib.Path) -> str:
    """kustomize's output, cached like helm's."""
    done = run(KUSTOMIZE, "build", str(path))
    if done.returncode != 0:
        raise AssertionError(f"kustomize build {path} failed:\n{done.stderr}")
    return done.stdout


@pytest.fixture(scope="session")
def charts_dir(tools: Tools, tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """The three charts, copied; the platform copy keeps only its file:// dependencies, built offline."""
    root = tmp_path_factory.mktemp("charts")
    for chart in CHARTS:
        shutil.copytree(ROOT / "charts" / chart, root / chart, ignore=shutil.ignore_patterns("charts", "Chart.lock"))
    meta = yaml.safe_load((root / "platform" / "Chart.yaml").read_text())
    meta["dependencies"] = [d for d in meta["dependencies"] if d["repository"].startswith("file://")]
    (root / "platform" / "Chart.yaml").write_text(yaml.safe_dump(meta, sort_keys=False))
    done = run(HELM, "dependency", "build", str(root / "platform"))
    if done.returncode != 0:
        pytest.fail(f"helm dependency build of the file:// dependencies failed:\n{done.stderr}")
    return root
