"""Render tests of the kustomize overlays and the Argo CD app-of-apps: every overlay builds; the generated bases,
components and chart docs are current; the charts and the overlays carry the same CRDs and RBAC; each overlay
applies what it promises (namespace, HA, GPU placement, raw mode); the app-of-apps is valid, pins the same upstream
versions as charts/platform, and orders CRDs before everything that uses them."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.render

ROOT = pathlib.Path(__file__).resolve().parents[2]
OVERLAYS = ROOT / "overlays"
BUILDS = [
    "kind",
    "production",
    "gpu",
    "raw",
    "argocd/apps",
    "argocd/crds",
    "argocd/modelplane",
    "argocd/runtimes",
    "argocd/knative-serving",
]
# The builds that install the CRDs, and those that install the controller's RBAC: each must match the charts.
WITH_CRDS = ["kind", "production", "gpu", "raw", "argocd/crds"]
WITH_RBAC = ["kind", "production", "gpu", "raw", "argocd/modelplane"]
# Which Applications install CRDs that which other Applications' objects need.
CRD_USERS = {
    "modelplane-crds": ["modelplane", "modelplane-runtimes"],
    "cert-manager": ["modelplane"],
    "istio-base": ["istiod", "istio-gateway", "knative-serving"],
    "knative-operator": ["knative-serving"],
}


def by_kind(objs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objs if o["kind"] == kind]


@pytest.mark.parametrize("overlay", BUILDS)
def test_every_overlay_builds(tools: Any, overlay: str) -> None:
    objs = tools.kustomize_build(OVERLAYS / overlay)
    assert objs
    for obj in objs:
        assert obj["metadata"]["name"]
        assert "helm.sh/chart" not in obj["metadata"].get("labels", {})


@pytest.mark.parametrize("script", ["generate-overlays.py", "chartvalues.py"])
def test_generated_files_are_current(tools: Any, script: str) -> None:
    args = ["--check"] + (
        []
        if script == "generate-overlays.py"
        else [f"charts/{c}" for c in ("modelplane-crds", "modelplane", "platform")]
    )
    done = subprocess.run(
        [sys.executable, f"hack/{script}", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("overlay", WITH_CRDS)
def test_charts_and_overlays_have_the_same_crds(tools: Any, charts_dir: pathlib.Path, overlay: str) -> None:
    chart = {
        c["metadata"]["name"]: c
        for c in by_kind(tools.helm_template(charts_dir / "modelplane-crds"), "CustomResourceDefinition")
    }
    overlay_crds = {
        c["metadata"]["name"]: c for c in by_kind(tools.kustomize_build(OVERLAYS / overlay), "CustomResourceDefinition")
    }
    assert sorted(chart) == sorted(overlay_crds)
    assert len(chart) == 4
    for name in chart:
        assert chart[name]["spec"] == overlay_crds[name]["spec"], f"{name}: the chart and overlays/{overlay} disagree"


@pytest.mark.parametrize("overlay", WITH_RBAC)
def test_charts_and_overlays_have_the_same_rbac(tools: Any, charts_dir: pathlib.Path, overlay: str) -> None:
    chart = tools.helm_template(charts_dir / "modelplane", "--set", "fullnameOverride=modelplane")
    objs = tools.kustomize_build(OVERLAYS / overlay)
    for kind in ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ServiceAccount"):
        mine = {
            o["metadata"]["name"]: o
            for o in by_kind(chart, kind)
            if "helm.sh/hook" not in o["metadata"].get("annotations", {})
        }
        theirs = {o["metadata"]["name"]: o for o in by_kind(objs, kind)}
        assert sorted(mine) == sorted(theirs), f"{kind} in overlays/{overlay}"
        for name, obj in mine.items():
            for field in ("rules", "roleRef", "subjects"):
                assert obj.get(field) == theirs[name].get(field), f"{kind}/{name} {field} in overlays/{overlay}"
    role = by_kind(objs, "ClusterRole")[0]
    assert all("*" not in rule["verbs"] for rule in role["rules"])


@pytest.mark.parametrize("overlay", ["kind", "production", "gpu", "raw"])
def test_overlays_put_modelplane_in_its_namespace(tools: Any, overlay: str) -> None:
    objs = tools.kustomize_build(OVERLAYS / overlay)
    namespaced = [
        o for o in objs if o["kind"] in ("Deployment", "ConfigMap", "Service", "ServiceAccount", "Certificate")
    ]
    for obj in namespaced:
        expected = "istio-system" if obj["metadata"]["name"] == "modelplane-ingress-nodeport" else "modelplane-system"
        assert obj["metadata"]["namespace"] == expected, obj["metadata"]["name"]
    vwc = by_kind(objs, "ValidatingWebhookConfiguration")[0]
    assert (
        vwc["metadata"]["annotations"]["cert-manager.io/inject-ca-from"] == "modelplane-system/modelplane-webhook-cert"
    )
    namespace = by_kind(objs, "Namespace")[0]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_production_is_highly_available(tools: Any) -> None:
    objs = tools.kustomize_build(OVERLAYS / "production")
    deployment = by_kind(objs, "Deployment")[0]["spec"]
    assert deployment["replicas"] == 3
    assert list(deployment["template"]["spec"]["affinity"]["podAntiAffinity"]) == [
        "requiredDuringSchedulingIgnoredDuringExecution"
    ]
    assert by_kind(objs, "PodDisruptionBudget")
    assert by_kind(objs, "PodMonitor")
    assert by_kind(objs, "ServiceMonitor")
    assert by_kind(objs, "NetworkPolicy")


def test_gpu_puts_runtimes_on_gpu_nodes(tools: Any) -> None:
    runtimes = {
        r["metadata"]["name"]: r for r in by_kind(tools.kustomize_build(OVERLAYS / "gpu"), "ClusterServingRuntime")
    }
    assert runtimes["modelplane-triton"]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == 1
    for runtime in runtimes.values():
        assert runtime["spec"]["nodeSelector"] == {"nvidia.com/gpu.present": "true"}


def test_kind_and_raw_configure_the_controller(tools: Any) -> None:
    raw = by_kind(tools.kustomize_build(OVERLAYS / "raw"), "ConfigMap")[0]["data"]
    assert json.loads(raw["deploy"]) == {"defaultDeploymentMode": "RawDeployment"}
    assert json.loads(raw["ingress"])["routing"] == "gateway-api"
    kind = tools.kustomize_build(OVERLAYS / "kind")
    assert json.loads(by_kind(kind, "ConfigMap")[0]["data"]["ingress"])["ingressDomain"] == "127.0.0.1.sslip.io"
    nodeport = next(s for s in by_kind(kind, "Service") if s["spec"].get("type") == "NodePort")
    assert nodeport["spec"]["selector"] == {"istio": "ingressgateway"}


def applications(tools: Any) -> dict[str, dict[str, Any]]:
    apps = tools.kustomize_build(OVERLAYS / "argocd" / "apps")
    return {a["metadata"]["name"]: a for a in apps}


def test_app_of_apps_is_valid(tools: Any) -> None:
    root = yaml.safe_load((OVERLAYS / "argocd" / "root.yaml").read_text())
    assert root["spec"]["source"]["path"] == "overlays/argocd/apps"
    apps = applications(tools)
    assert set(apps) == {
        "modelplane-crds",
        "cert-manager",
        "istio-base",
        "istiod",
        "istio-gateway",
        "knative-operator",
        "knative-serving",
        "nvidia-device-plugin",
        "modelplane",
        "modelplane-runtimes",
    }
    for name, app in apps.items():
        assert app["apiVersion"] == "argoproj.io/v1alpha1"
        assert app["kind"] == "Application"
        assert app["metadata"]["namespace"] == "argocd"
        source = app["spec"]["source"]
        assert source["repoURL"], name
        assert source["targetRevision"], name
        if "path" in source:
            tools.kustomize_build(ROOT / source["path"])
        else:
            assert source["chart"], name
        assert app["spec"]["destination"]["server"] == "https://kubernetes.default.svc"
        int(app["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])


def test_waves_put_crds_before_their_users(tools: Any) -> None:
    apps = applications(tools)
    wave = {n: int(a["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) for n, a in apps.items()}
    for provider, users in CRD_USERS.items():
        for user in users:
            assert wave[provider] < wave[user], f"{provider} (wave {wave[provider]}) must precede {user} ({wave[user]})"
    for provider in CRD_USERS:
        assert "ServerSideApply=true" in apps[provider]["spec"]["syncPolicy"]["syncOptions"], provider
    for user in ("knative-serving", "modelplane", "modelplane-runtimes"):
        assert "SkipDryRunOnMissingResource=true" in apps[user]["spec"]["syncPolicy"]["syncOptions"], user


def test_app_of_apps_pins_the_platform_versions(tools: Any) -> None:
    pins = {
        (d["repository"], d["name"]): d["version"]
        for d in yaml.safe_load((ROOT / "charts" / "platform" / "Chart.yaml").read_text())["dependencies"]
        if not d["repository"].startswith("file://")
    }
    seen = {}
    for app in applications(tools).values():
        source = app["spec"]["source"]
        if "chart" in source:
            seen[(source["repoURL"], source["chart"])] = source["targetRevision"]
    assert seen == pins


def test_knative_serving_matches_the_platform_chart(tools: Any, charts_dir: pathlib.Path) -> None:
    rendered = tools.helm_template(charts_dir / "platform", namespace="istio-system")
    hook = next(o for o in rendered if "knativeserving.yaml" in o.get("data", {}))
    expected = yaml.safe_load(hook["data"]["knativeserving.yaml"])
    overlay = tools.kustomize_build(OVERLAYS / "argocd" / "knative-serving")[0]
    assert overlay["spec"] == expected["spec"]
