"""Schema validation of everything the charts and overlays render, by the local real API server (Kubernetes 1.34.4): a
server-side dry-run apply with strict field validation, after server-side applying our CRDs and the pinned upstream
CRDs of the other kinds the charts and overlays create (cert-manager Certificate and Issuer, the Prometheus
Operator's PodMonitor and ServiceMonitor, Argo CD's Application, the Knative operator's KnativeServing; fetched from
their Go modules into the cache by hack/fetch-upstream-crds.sh, `make tools`). Covers every chart with every ci/
values file, every overlay, the app-of-apps (root Application and children), the KnativeServing the platform chart's
hook applies and the ClusterServingRuntimes the modelplane chart's runtimes hook applies; every rendered kind is
validated, none is skipped. The namespaces they go to carry the Pod Security `warn: restricted` label for the run, so
the API server's own Pod Security admission checks every pod template, and a warning fails the test. The upstream
CRDs stay installed afterwards, as ours do: they come with no controller, so they change nothing but what the API
server accepts."""

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
OVERLAYS = [
    "kind",
    "production",
    "gpu",
    "raw",
    "argocd/crds",
    "argocd/modelplane",
    "argocd/runtimes",
    "argocd/apps",
    "argocd/knative-serving",
]
NAMESPACES = ("modelplane-system", "istio-system", "knative-serving", "argocd")
#: The label that has the API server's Pod Security admission warn about any pod template short of `restricted`.
WARN_RESTRICTED = "pod-security.kubernetes.io/warn"
WORKLOADS = ("Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob")
#: Kinds whose CRDs come from upstream projects, and the API group each must be served under.
UPSTREAM_KINDS = {
    "Certificate": "cert-manager.io",
    "Issuer": "cert-manager.io",
    "PodMonitor": "monitoring.coreos.com",
    "ServiceMonitor": "monitoring.coreos.com",
    "Application": "argoproj.io",
    "KnativeServing": "operator.knative.dev",
}


def kubectl(kubeconfig: pathlib.Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KUBECTL, "--kubeconfig", str(kubeconfig), *args], input=stdin, capture_output=True, text=True, check=False
    )


def upstream_crd_files() -> list[pathlib.Path]:
    """The pinned upstream CRD files in the cache; fails, saying how to fetch them, when any is missing."""
    done = subprocess.run(
        [str(ROOT / "hack" / "fetch-upstream-crds.sh"), "--dirs"], capture_output=True, text=True, check=True
    )
    folders = [pathlib.Path(line) for line in done.stdout.split()]
    missing = [str(f) for f in folders if not (f / ".complete").is_file()]
    if missing:
        pytest.fail(f"upstream CRDs are not fetched ({', '.join(missing)}): run `make tools`")
    return sorted(path for folder in folders for path in folder.glob("*.yaml"))


@pytest.fixture(scope="module")
def cluster(kube_cluster: pathlib.Path) -> Any:
    """The local API server with our CRDs and the upstream ones applied, and the namespaces rendered objects live
    in."""
    crds = ROOT / "overlays" / "bases" / "crds"
    done = kubectl(
        kube_cluster, "apply", "--server-side", "--force-conflicts", "--field-manager=modelplane-tests", "-k", str(crds)
    )
    assert done.returncode == 0, done.stderr
    upstream = [a for path in upstream_crd_files() for a in ("-f", str(path))]
    done = kubectl(
        kube_cluster, "apply", "--server-side", "--force-conflicts", "--field-manager=modelplane-tests", *upstream
    )
    assert done.returncode == 0, done.stderr
    assert kubectl(kube_cluster, "wait", "--for=condition=Established", "crd", "--all", "--timeout=60s").returncode == 0
    served = kubectl(kube_cluster, "api-resources", "-o", "name").stdout.split()
    for kind, group in UPSTREAM_KINDS.items():
        assert any(r.endswith(f".{group}") for r in served), f"{kind} ({group}) is not served after applying its CRD"
    created, labelled = [], []
    for namespace in NAMESPACES:
        if kubectl(kube_cluster, "get", "namespace", namespace).returncode != 0:
            assert kubectl(kube_cluster, "create", "namespace", namespace).returncode == 0
            created.append(namespace)
        shown = kubectl(kube_cluster, "get", "namespace", namespace, "-o", "jsonpath={.metadata.labels}")
        if WARN_RESTRICTED not in shown.stdout:
            done = kubectl(kube_cluster, "label", "namespace", namespace, f"{WARN_RESTRICTED}=restricted")
            assert done.returncode == 0, done.stderr
            labelled.append(namespace)
    yield kube_cluster
    for namespace in created:
        kubectl(kube_cluster, "delete", "namespace", namespace, "--wait=false")
    for namespace in set(labelled) - set(created):
        kubectl(kube_cluster, "label", "namespace", namespace, f"{WARN_RESTRICTED}-")


def dry_run(kubeconfig: pathlib.Path, objs: list[dict[str, Any]]) -> set[str]:
    """Server-side dry-run apply of every object; returns the kinds validated."""
    served = list(objs)
    workloads = [o for o in served if o["kind"] in WORKLOADS]
    outside = [
        f"{o['kind']}/{o['metadata']['name']}" for o in workloads if o["metadata"].get("namespace") not in NAMESPACES
    ]
    assert not outside, f"pods outside the namespaces whose Pod Security is checked: {outside}"
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
    assert "would violate PodSecurity" not in done.stderr, f"a pod template is short of `restricted`:\n{done.stderr}"
    assert done.stdout.count("(server dry run)") == len(served)
    return {o["kind"] for o in served}


def embedded_knative_serving(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The KnativeServing the platform chart's hook Job applies, kept as YAML in a ConfigMap."""
    return [
        yaml.safe_load(o["data"]["knativeserving.yaml"])
        for o in objs
        if o["kind"] == "ConfigMap" and "knativeserving.yaml" in o.get("data", {})
    ]


def embedded_runtimes(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ClusterServingRuntimes the modelplane chart's runtimes hook applies (`runtimes.installWith: hook`, the
    platform's setting), kept as YAML in a ConfigMap."""
    return [
        runtime
        for o in objs
        if o["kind"] == "ConfigMap" and "runtimes.yaml" in o.get("data", {})
        for runtime in yaml.safe_load_all(o["data"]["runtimes.yaml"])
        if runtime
    ]


@pytest.mark.parametrize("chart", CHARTS)
def test_chart_renders_validate(tools: Any, charts_dir: pathlib.Path, cluster: pathlib.Path, chart: str) -> None:
    kinds: set[str] = set()
    for values in sorted((ROOT / "charts" / chart / "ci").glob("*-values.yaml")):
        objs = tools.helm_template(
            charts_dir / chart, "--values", str(values), "--api-versions", "monitoring.coreos.com/v1"
        )
        kinds |= dry_run(cluster, objs + embedded_knative_serving(objs) + embedded_runtimes(objs))
    expected = {
        "modelplane": {"Certificate", "Issuer", "PodMonitor", "ServiceMonitor", "ClusterServingRuntime"},
        "platform": {"KnativeServing", "ClusterServingRuntime", "Certificate", "Issuer"},
    }
    assert expected.get(chart, set()) <= kinds


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_builds_validate(tools: Any, cluster: pathlib.Path, overlay: str) -> None:
    dry_run(cluster, tools.kustomize_build(ROOT / "overlays" / overlay))


def test_the_root_application_validates(cluster: pathlib.Path) -> None:
    root = yaml.safe_load((ROOT / "overlays" / "argocd" / "root.yaml").read_text())
    assert dry_run(cluster, [root]) == {"Application"}


@pytest.mark.parametrize(
    ("kind", "path", "value", "error"),
    [
        pytest.param(
            "Certificate", ("spec", "dnsNamez"), ["x"], r"\.spec\.dnsNamez: field not declared", id="certificate"
        ),
        pytest.param("PodMonitor", ("spec", "podMetricsEndpoints", 0, "interval"), "30 s", "interval", id="podmonitor"),
        pytest.param("ServiceMonitor", ("spec", "endpoints", 0, "interval"), "30 s", "interval", id="servicemonitor"),
        pytest.param("Application", ("spec", "syncPolicy", "syncOptionz"), [], "syncOptionz", id="application"),
        pytest.param("KnativeServing", ("spec", "ingresz"), {}, "ingresz", id="knativeserving"),
    ],
)
def test_upstream_kinds_are_really_checked(
    tools: Any,
    charts_dir: pathlib.Path,
    cluster: pathlib.Path,
    kind: str,
    path: tuple[Any, ...],
    value: Any,
    error: str,
) -> None:
    """A wrong field or value in each upstream kind is refused by its upstream schema."""
    objs = tools.helm_template(charts_dir / "modelplane", "--api-versions", "monitoring.coreos.com/v1")
    objs += tools.helm_template(charts_dir / "platform")
    objs = objs + embedded_knative_serving(objs) + tools.kustomize_build(ROOT / "overlays" / "argocd" / "apps")
    obj = next(o for o in objs if o["kind"] == kind)
    target = obj
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    with pytest.raises(AssertionError, match=error):
        dry_run(cluster, [obj])


def test_a_misspelt_field_is_rejected(tools: Any, charts_dir: pathlib.Path, cluster: pathlib.Path) -> None:
    objs = tools.helm_template(charts_dir / "modelplane")
    deployment = next(o for o in objs if o["kind"] == "Deployment")
    deployment["spec"]["replicaz"] = 2
    with pytest.raises(AssertionError, match=r"\.spec\.replicaz: field not declared in schema"):
        dry_run(cluster, [deployment])


def test_a_pod_short_of_restricted_is_caught(tools: Any, charts_dir: pathlib.Path, cluster: pathlib.Path) -> None:
    """The Pod Security check is the API server's own: the controller's template on the host network fails it."""
    objs = tools.helm_template(charts_dir / "modelplane")
    deployment = next(o for o in objs if o["kind"] == "Deployment")
    deployment["spec"]["template"]["spec"]["hostNetwork"] = True
    with pytest.raises(AssertionError, match=r'would violate PodSecurity "restricted:latest": host namespaces'):
        dry_run(cluster, [deployment])
