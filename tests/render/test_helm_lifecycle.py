"""The charts against the local real API server: `helm install` of modelplane-crds + modelplane (upstream pieces
off, cert-manager off so the hook-made certificate is used) succeeds with `--wait`, and the webhook then judges
InferenceServices; `helm upgrade` to a chart whose CRD gained a field updates the stored CRD (the pre-upgrade check
and server-side apply Jobs run first); `helm uninstall` leaves the CRDs when crds.keep is set and removes them when
it is not.

Where the pods run decides what `--wait` proves. With the process node up (`make node-up`), pods of Modelplane's
images run as local processes: the hook Jobs, the controller and its webhook really run, and the test checks that
the webhook denies a bad InferenceService. Without it, kwok only marks pods Ready and Jobs complete without running
anything; the test then checks the install and uninstall paths only, and says so in its output."""

from __future__ import annotations

import copy
import json
import pathlib
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.cluster

ROOT = pathlib.Path(__file__).resolve().parents[2]
HELM, KUBECTL = str(ROOT / "bin" / "helm"), str(ROOT / "bin" / "kubectl")
RUNTIMES_OFF = [f"runtimes.{r}.enabled=false" for r in ("modelplane", "triton", "torchserve", "tfserving", "mlserver")]


def sh(kubeconfig: pathlib.Path, tool: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool, "--kubeconfig", str(kubeconfig), *args], input=stdin, capture_output=True, text=True, check=False
    )


def get(kubeconfig: pathlib.Path, *args: str) -> dict[str, Any] | None:
    done = sh(kubeconfig, KUBECTL, "get", *args, "-o", "json")
    return json.loads(done.stdout) if done.returncode == 0 else None


@pytest.fixture
def namespace(kube_cluster: pathlib.Path) -> Iterator[str]:
    name = f"mp-helm-{uuid.uuid4().hex[:6]}"
    assert sh(kube_cluster, KUBECTL, "create", "namespace", name).returncode == 0
    assert sh(kube_cluster, KUBECTL, "label", "namespace", name, f"modelplane-helm-test={name}").returncode == 0
    yield name
    for release in sh(kube_cluster, HELM, "list", "-n", name, "-q").stdout.split():
        sh(kube_cluster, HELM, "uninstall", release, "-n", name, "--wait", "--timeout", "60s")
    sh(kube_cluster, KUBECTL, "delete", "namespace", name, "--wait=false")


def test_install_wait_then_uninstall_keeps_crds(kube_cluster: pathlib.Path, namespace: str) -> None:
    crds = sh(
        kube_cluster,
        HELM,
        "install",
        "crds",
        str(ROOT / "charts" / "modelplane-crds"),
        "-n",
        namespace,
        "--take-ownership",
        "--wait",
        "--timeout",
        "2m",
    )
    assert crds.returncode == 0, crds.stderr
    settings = [
        "webhook.certManager.enabled=false",
        f"controller.watchNamespace={namespace}",
        f"webhook.namespaceSelector.matchLabels.modelplane-helm-test={namespace}",
        "networkPolicy.enabled=false",
        "webhook.readinessHook.timeoutSeconds=180",
        *RUNTIMES_OFF,
    ]
    args = [a for s in settings for a in ("--set", s)]
    install = sh(
        kube_cluster,
        HELM,
        "install",
        "mp",
        str(ROOT / "charts" / "modelplane"),
        "-n",
        namespace,
        *args,
        "--wait",
        "--timeout",
        "5m",
    )
    assert install.returncode == 0, install.stderr

    deployment = get(kube_cluster, "-n", namespace, "deployment", "mp-modelplane-controller")
    assert deployment is not None
    assert deployment["status"].get("readyReplicas") == 1
    pods = get(kube_cluster, "-n", namespace, "pods", "-l", "app.kubernetes.io/component=controller")
    assert pods is not None
    node = pods["items"][0]["spec"].get("nodeName")
    vwc = get(kube_cluster, "validatingwebhookconfiguration", "mp-modelplane-validating-webhook")
    assert vwc is not None
    if node == "local-process-node":
        # The hooks really ran: the certificate Secret exists and its CA is in every webhook.
        secret = get(kube_cluster, "-n", namespace, "secret", "mp-modelplane-webhook-cert")
        assert secret is not None
        assert secret["type"] == "kubernetes.io/tls"
        assert all(w["clientConfig"].get("caBundle") == secret["data"]["ca.crt"] for w in vwc["webhooks"])
        bad = {
            "apiVersion": "serving.kserve.io/v1beta1",
            "kind": "InferenceService",
            "metadata": {"name": "bad", "namespace": namespace},
            "spec": {
                "predictor": {
                    "minReplicas": 3,
                    "maxReplicas": 1,
                    "model": {"modelFormat": {"name": "sklearn"}, "storageUri": "pvc://m/model"},
                }
            },
        }
        denied = sh(kube_cluster, KUBECTL, "create", "--dry-run=server", "-f", "-", stdin=json.dumps(bad))
        assert denied.returncode != 0
        assert "denied the request" in denied.stderr
        assert "minReplicas" in denied.stderr
    else:
        print(f"controller pod on {node!r}: kwok simulated the pods, so the webhook was not exercised")

    assert sh(kube_cluster, HELM, "uninstall", "mp", "-n", namespace, "--wait").returncode == 0
    assert get(kube_cluster, "validatingwebhookconfiguration", "mp-modelplane-validating-webhook") is None
    assert sh(kube_cluster, HELM, "uninstall", "crds", "-n", namespace, "--wait").returncode == 0
    for name in ("inferenceservices", "servingruntimes", "clusterservingruntimes", "trainedmodels"):
        assert get(kube_cluster, "crd", f"{name}.serving.kserve.io") is not None, f"{name} was deleted"


@pytest.fixture
def private_crd_chart(kube_cluster: pathlib.Path, tmp_path: pathlib.Path) -> Iterator[tuple[pathlib.Path, str]]:
    """A copy of the modelplane-crds chart holding only the TrainedModel CRD moved to a group of its own, so that
    upgrading and uninstalling it touches nothing the shared cluster uses."""
    group = f"helmtest{uuid.uuid4().hex[:6]}.serving.kserve.io"
    chart = tmp_path / "modelplane-crds"
    shutil.copytree(ROOT / "charts" / "modelplane-crds", chart)
    source = chart / "files" / "crds" / "trainedmodels.serving.kserve.io.yaml"
    crd = yaml.safe_load(source.read_text())
    for path in (chart / "files" / "crds").glob("*.yaml"):
        path.unlink()
    crd["spec"]["group"] = group
    crd["metadata"]["name"] = f"trainedmodels.{group}"
    (chart / "files" / "crds" / f"trainedmodels.{group}.yaml").write_text(yaml.safe_dump(crd))
    yield chart, crd["metadata"]["name"]
    sh(kube_cluster, KUBECTL, "delete", "crd", crd["metadata"]["name"], "--ignore-not-found")


def spec_fields(crd: dict[str, Any]) -> set[str]:
    return set(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"])


def test_upgrade_updates_the_stored_crd(
    kube_cluster: pathlib.Path, namespace: str, private_crd_chart: tuple[pathlib.Path, str]
) -> None:
    chart, name = private_crd_chart
    assert sh(kube_cluster, HELM, "install", "c", str(chart), "-n", namespace, "--wait").returncode == 0
    live = get(kube_cluster, "crd", name)
    assert live is not None
    assert "rolloutNote" not in spec_fields(live)

    path = next((chart / "files" / "crds").glob("*.yaml"))
    crd = yaml.safe_load(path.read_text())
    newer = copy.deepcopy(crd)
    newer["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["rolloutNote"] = {
        "type": "string"
    }
    path.write_text(yaml.safe_dump(newer))
    upgrade = sh(kube_cluster, HELM, "upgrade", "c", str(chart), "-n", namespace, "--wait", "--timeout", "3m")
    assert upgrade.returncode == 0, upgrade.stderr
    live = get(kube_cluster, "crd", name)
    assert live is not None
    assert "rolloutNote" in spec_fields(live)
    jobs = sh(kube_cluster, KUBECTL, "-n", namespace, "get", "jobs", "-o", "name").stdout
    assert "c-crd-upgrade" not in jobs, "the hook Jobs should be deleted once they succeed"

    assert sh(kube_cluster, HELM, "uninstall", "c", "-n", namespace, "--wait").returncode == 0
    assert get(kube_cluster, "crd", name) is not None, "crds.keep=true must leave the CRD"


def test_uninstall_without_keep_removes_the_crd(
    kube_cluster: pathlib.Path, namespace: str, private_crd_chart: tuple[pathlib.Path, str]
) -> None:
    chart, name = private_crd_chart
    install = sh(kube_cluster, HELM, "install", "c", str(chart), "-n", namespace, "--set", "crds.keep=false", "--wait")
    assert install.returncode == 0, install.stderr
    assert get(kube_cluster, "crd", name) is not None
    assert sh(kube_cluster, HELM, "uninstall", "c", "-n", namespace, "--wait").returncode == 0
    assert get(kube_cluster, "crd", name) is None
