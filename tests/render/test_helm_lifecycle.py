"""The charts against the local real API server, their pods run as real processes by the local process node
(started here when it is down, and stopped again afterwards only then): `helm install` of modelplane-crds +
modelplane (upstream pieces off, cert-manager off so the hook-made certificate is used) succeeds with `--wait`
only after the certificate hook wrote the Secret and the readiness hook injected its CA and heard this release's
own webhook; that webhook then denies a bad InferenceService, and the readiness check fails against the same
release once its webhook is gone and fails open (`failurePolicy: Ignore`). `helm upgrade` to a chart whose CRD
gained a field updates the stored CRD through the hook: the hook's field manager owns the new field. `helm
uninstall` leaves the CRDs when crds.keep is set and removes them when it is not."""

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
NODE = "local-process-node"
HOOK_MANAGER = "modelplane-hook"  # modelplane.hooks.connecting.FIELD_MANAGER


def sh(kubeconfig: pathlib.Path, tool: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool, "--kubeconfig", str(kubeconfig), *args], input=stdin, capture_output=True, text=True, check=False
    )


def get(kubeconfig: pathlib.Path, *args: str) -> dict[str, Any] | None:
    done = sh(kubeconfig, KUBECTL, "get", *args, "-o", "json", "--show-managed-fields")
    return json.loads(done.stdout) if done.returncode == 0 else None


def node_running() -> bool:
    return (
        subprocess.run([str(ROOT / "hack" / "local-node.sh"), "status"], capture_output=True, check=False).returncode
        == 0
    )


@pytest.fixture(scope="module", autouse=True)
def process_node(kube_cluster: pathlib.Path) -> Iterator[None]:
    """The process node, so hook Jobs and the controller really run (under kwok alone, Jobs complete without
    running anything): started when it is down, stopped afterwards only if this module started it."""
    started = not node_running()
    if started:
        subprocess.run([str(ROOT / "hack" / "local-node.sh"), "up"], check=True)
    yield
    if started:
        subprocess.run([str(ROOT / "hack" / "local-node.sh"), "down"], check=True)


def managers(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """managedFields by manager (the Apply entry where a manager has several)."""
    found: dict[str, dict[str, Any]] = {}
    for entry in obj["metadata"].get("managedFields") or []:
        if entry["manager"] not in found or entry["operation"] == "Apply":
            found[entry["manager"]] = entry
    return found


def denied_by(kube_cluster: pathlib.Path, obj: dict[str, Any], webhook: str, *, tries: int = 20) -> str:
    """Dry-run-create `obj` until `webhook` is the one named in the denial (another release's webhook may judge
    the same namespace and answer first: the API server reports whichever denial arrives first)."""
    last = ""
    for _ in range(tries):
        done = sh(kube_cluster, KUBECTL, "create", "--dry-run=server", "-f", "-", stdin=json.dumps(obj))
        assert done.returncode != 0, "the bad InferenceService was admitted"
        last = done.stderr
        if f'admission webhook "{webhook}" denied the request' in last:
            return last
    raise AssertionError(f"{webhook} never denied it; last answer: {last}")


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
    assert pods["items"][0]["spec"].get("nodeName") == NODE, "the controller must run as a process, not under kwok"
    vwc = get(kube_cluster, "validatingwebhookconfiguration", "mp-modelplane-validating-webhook")
    assert vwc is not None
    # The certificate hook really ran: it server-side applied the Secret with the hooks' field manager.
    secret = get(kube_cluster, "-n", namespace, "secret", "mp-modelplane-webhook-cert")
    assert secret is not None
    assert secret["type"] == "kubernetes.io/tls"
    assert HOOK_MANAGER in managers(secret), managers(secret).keys()
    # The readiness hook really ran: only it injects the hook-made CA into every webhook.
    assert all(w["clientConfig"].get("caBundle") == secret["data"]["ca.crt"] for w in vwc["webhooks"])
    ours = "inferenceservice.mp-modelplane.validation.modelplane.io"
    assert ours in [w["name"] for w in vwc["webhooks"]]
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
    assert "minReplicas" in denied_by(kube_cluster, bad, ours)

    # The readiness check must not mistake an admitted probe for an answer: with the controller gone and the
    # webhook failing open, the same check against this release fails.
    assert (
        sh(
            kube_cluster, KUBECTL, "-n", namespace, "scale", "deployment/mp-modelplane-controller", "--replicas=0"
        ).returncode
        == 0
    )
    ignore = {"webhooks": [{"name": w["name"], "failurePolicy": "Ignore"} for w in vwc["webhooks"]]}
    patched = sh(
        kube_cluster,
        KUBECTL,
        "patch",
        "validatingwebhookconfiguration",
        "mp-modelplane-validating-webhook",
        "--type=strategic",
        "-p",
        json.dumps(ignore),
    )
    assert patched.returncode == 0, patched.stderr
    check = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "modelplane"),
            "hook",
            "--kubeconfig",
            str(kube_cluster),
            "webhook-ready",
            "--namespace",
            namespace,
            "--webhook-configuration",
            "mp-modelplane-validating-webhook",
            "--timeout",
            "20",
            "--interval",
            "1",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 1, check.stdout + check.stderr
    assert "did not answer within 20 s" in check.stderr

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


def versions_path() -> list[str]:
    """The managedFields path of spec.versions, which the API server keeps as one atomic value: a manager that
    owns it owns every field inside it, the schema's properties included, and loses it to any later change."""
    return ["f:spec", "f:versions"]


def owns(fields: dict[str, Any], path: list[str]) -> bool:
    node: Any = fields
    for step in path:
        if not isinstance(node, dict) or step not in node:
            return False
        node = node[step]
    return True


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
    assert HOOK_MANAGER not in managers(live), "an install runs no CRD hook"

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
    # Helm updates the templated CRD too; the hook's server-side apply is told apart by its field manager. Its
    # entry comes from this upgrade's hook Job (the install ran none), and it owns spec.versions, the atomic value
    # that holds the new field: the value the hook applied is the one stored, with rolloutNote in it.
    hook = managers(live).get(HOOK_MANAGER)
    assert hook is not None, f"{HOOK_MANAGER} did not apply the CRD: managers {sorted(managers(live))}"
    assert hook["operation"] == "Apply"
    assert owns(hook["fieldsV1"], versions_path()), hook["fieldsV1"]
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
