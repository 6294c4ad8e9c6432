"""Schema validation of everything the charts and overlays render, by the local real API server (Kubernetes
1.34.4): a server-side dry-run apply with strict field validation, after server-side applying our CRDs. Covers
every chart with every ci/ values file and every overlay. Kinds the server does not serve (cert-manager, the
Prometheus Operator, Argo CD, the Knative operator: their CRDs are not installed here) are listed, not validated."""

from __future__ import annotations

import pathlib
import subprocess
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.cluster

ROOT = pathlib.Path(__file__).resolve().parents[2]
KUBECTL = str(ROOT / "bin" / "kubectl")
CHARTS = ("modelplane-crds", "modelplane", "platform")
OVERLAYS = ["kind", "production", "gpu", "raw", "argocd/crds", "argocd/modelplane", "argocd/runtimes"]
NAMESPACES = ("modelplane-system", "istio-system", "knative-serving")
UNSERVED = {"Certificate", "Issuer", "PodMonitor", "Application", "KnativeServing"}


def kubectl(kubeconfig: pathlib.Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KUBECTL, "--kubeconfig", str(kubeconfig), *args], input=stdin, capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def cluster(kube_cluster: pathlib.Path) -> Any:
    """The local API server with our CRDs applied and the namespaces rendered objects live in."""
    crds = ROOT / "overlays" / "bases" / "crds"
    done = kubectl(
        kube_cluster, "apply", "--server-side", "--force-conflicts", "--field-manager=modelplane-tests", "-k", str(crds)
    )
    assert done.returncode == 0, done.stderr
    assert kubectl(kube_cluster, "wait", "--for=condition=Established", "crd", "--all", "--timeout=60s").returncode == 0
    created = []
    for namespace in NAMESPACES:
        if kubectl(kube_cluster, "get", "namespace", namespace).returncode != 0:
            assert kubectl(kube_cluster, "create", "namespace", namespace).returncode == 0
            created.append(namespace)
    yield kube_cluster
    for namespace in created:
        kubectl(kube_cluster, "delete", "namespace", namespace, "--wait=false")


def dry_run(kubeconfig: pathlib.Path, objs: list[dict[str, Any]]) -> list[str]:
    """Server-side dry-run apply of the objects the server serves; returns the kinds skipped as unserved."""
    served = [o for o in objs if o["kind"] not in UNSERVED]
    skipped = sorted({o["kind"] for o in objs if o["kind"] in UNSERVED})
    text = "---\n".join(yaml.safe_dump(o) for o in served)
    # Admission of a bare Pod looks its ServiceAccount up, which a dry run of the same batch does not create:
    # create those for the duration of the check.
    accounts = [
        (o["metadata"]["namespace"], o["spec"]["serviceAccountName"])
        for o in served
        if o["kind"] == "Pod" and o["spec"].get("serviceAccountName")
    ]
    made = []
    for namespace, name in accounts:
        if kubectl(kubeconfig, "-n", namespace, "get", "serviceaccount", name).returncode != 0:
            assert kubectl(kubeconfig, "-n", namespace, "create", "serviceaccount", name).returncode == 0
            made.append((namespace, name))
    try:
        done = kubectl(
            kubeconfig,
            "apply",
            "--server-side",
            "--dry-run=server",
            "--validate=strict",
            "--force-conflicts",
            "--field-manager=modelplane-render-validation",
            "-f",
            "-",
            stdin=text,
        )
    finally:
        for namespace, name in made:
            kubectl(kubeconfig, "-n", namespace, "delete", "serviceaccount", name)
    assert done.returncode == 0, f"the API server rejected rendered objects:\n{done.stderr}"
    assert done.stdout.count("(server dry run)") == len(served)
    return skipped


@pytest.mark.parametrize("chart", CHARTS)
def test_chart_renders_validate(tools: Any, charts_dir: pathlib.Path, cluster: pathlib.Path, chart: str) -> None:
    for values in sorted((ROOT / "charts" / chart / "ci").glob("*-values.yaml")):
        objs = tools.helm_template(
            charts_dir / chart, "--values", str(values), "--api-versions", "monitoring.coreos.com/v1"
        )
        skipped = dry_run(cluster, objs)
        assert set(skipped) <= UNSERVED


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_builds_validate(tools: Any, cluster: pathlib.Path, overlay: str) -> None:
    dry_run(cluster, tools.kustomize_build(ROOT / "overlays" / overlay))


def test_a_misspelt_field_is_rejected(tools: Any, charts_dir: pathlib.Path, cluster: pathlib.Path) -> None:
    objs = tools.helm_template(charts_dir / "modelplane")
    deployment = next(o for o in objs if o["kind"] == "Deployment")
    deployment["spec"]["replicaz"] = 2
    with pytest.raises(AssertionError, match=r"\.spec\.replicaz: field not declared in schema"):
        dry_run(cluster, [deployment])
