"""Render tests of the Helm charts: `helm lint --strict` of each; every chart renders with every ci/ values file;
a misspelt value key fails naming the key; the platform chart's dependencies are pinned exactly; CRDs carry the
keep policy only when asked; RBAC has no wildcard verb; every pod meets the restricted Pod Security level; hook
annotations sit on the hook objects; the webhook's readiness is its own port; monitoring objects appear only when
the Prometheus Operator's API exists; the ConfigMap parses with the controller's own parser and the bundled
ClusterServingRuntimes pass the webhook's own validation."""

from __future__ import annotations

import json
import pathlib
import re
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.render

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHARTS = ("modelplane-crds", "modelplane", "platform")
KUBE_VERSION = "1.34.4"
HELM = str(ROOT / "bin" / "helm")


def ci_files(chart: str) -> list[pathlib.Path]:
    return sorted((ROOT / "charts" / chart / "ci").glob("*-values.yaml"))


SCENARIOS = [(chart, path) for chart in CHARTS for path in ci_files(chart)]
POD_KINDS = {"Deployment": ("spec", "template", "spec"), "Job": ("spec", "template", "spec"), "Pod": ("spec",)}


def pod_specs(objs: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for obj in objs:
        if obj["kind"] in POD_KINDS:
            spec = obj
            for step in POD_KINDS[obj["kind"]]:
                spec = spec[step]
            found.append((f"{obj['kind']}/{obj['metadata']['name']}", spec))
    return found


@pytest.mark.parametrize("chart", CHARTS)
def test_lint_strict(tools: Any, charts_dir: pathlib.Path, chart: str) -> None:
    done = tools.run(HELM, "lint", "--strict", "--kube-version", KUBE_VERSION, str(charts_dir / chart))
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("chart", "scenarios"),
    [
        ("modelplane", ("default", "ha", "gpu", "raw", "no-cert-manager")),
        ("platform", ("default", "ha", "gpu", "raw", "no-cert-manager", "existing-cert-manager")),
        # The CRDs are the same on every kind of cluster: this chart's scenarios are its own (test_crd_scenarios).
        ("modelplane-crds", ("default", "gitops", "disposable", "private-registry", "labels")),
    ],
)
def test_every_chart_has_its_scenarios(chart: str, scenarios: tuple[str, ...]) -> None:
    names = {p.name for p in ci_files(chart)}
    assert names == {f"{s}-values.yaml" for s in scenarios}


@pytest.mark.parametrize(("chart", "values"), SCENARIOS, ids=[f"{c}-{p.stem}" for c, p in SCENARIOS])
def test_renders_with_ci_values(tools: Any, charts_dir: pathlib.Path, chart: str, values: pathlib.Path) -> None:
    objs = tools.helm_template(charts_dir / chart, "--values", str(values))
    assert objs, "nothing rendered"
    for obj in objs:
        assert obj.get("apiVersion"), obj
        assert obj.get("kind"), obj
        assert obj.get("metadata", {}).get("name"), obj


@pytest.mark.parametrize(
    ("chart", "setting", "path", "key"),
    [
        pytest.param("modelplane-crds", "crds.kep=true", "'/crds'", "kep", id="crds"),
        pytest.param("modelplane", "controller.replcas=2", "'/controller'", "replcas", id="modelplane"),
        pytest.param("modelplane", "webhoook.port=1", "''", "webhoook", id="modelplane-top-level"),
        pytest.param(
            "platform", "knative.autoscaler.stableWindoww=1s", "'/knative/autoscaler'", "stableWindoww", id="platform"
        ),
        pytest.param("platform", "modelplane.controller.replcas=2", "'/controller'", "replcas", id="platform-subchart"),
    ],
)
def test_misspelt_value_key_fails_naming_it(
    tools: Any, charts_dir: pathlib.Path, chart: str, setting: str, path: str, key: str
) -> None:
    done = tools.run(HELM, "template", "r", str(charts_dir / chart), "--set", setting)
    assert done.returncode != 0
    assert f"at {path}: additional properties '{key}' not allowed" in done.stderr


def test_values_of_the_wrong_type_or_enum_fail(tools: Any, charts_dir: pathlib.Path) -> None:
    done = tools.run(
        HELM, "template", "r", str(charts_dir / "modelplane"), "--set", "config.deploy.defaultDeploymentMode=Fast"
    )
    assert done.returncode != 0
    assert "defaultDeploymentMode" in done.stderr


def test_platform_dependencies_are_pinned_exactly_behind_conditions() -> None:
    meta = yaml.safe_load((ROOT / "charts" / "platform" / "Chart.yaml").read_text())
    names = {d.get("alias", d["name"]) for d in meta["dependencies"]}
    assert names == {
        "istio-base",
        "istiod",
        "istio-gateway",
        "knative-operator",
        "cert-manager",
        "nvidia-device-plugin",
        "modelplane-crds",
        "modelplane",
    }
    values = yaml.safe_load((ROOT / "charts" / "platform" / "values.yaml").read_text())
    for dep in meta["dependencies"]:
        assert re.fullmatch(r"v?\d+\.\d+\.\d+", dep["version"]), f"{dep['name']} {dep['version']} is not exact"
        section, flag = dep["condition"].split(".")
        assert values[section][flag] in (True, False)


@pytest.mark.parametrize("keep", [True, False])
def test_crds_keep_policy(tools: Any, charts_dir: pathlib.Path, keep: bool) -> None:
    objs = tools.helm_template(charts_dir / "modelplane-crds", "--set", f"crds.keep={str(keep).lower()}")
    crds = [o for o in objs if o["kind"] == "CustomResourceDefinition"]
    assert {c["metadata"]["name"] for c in crds} == {
        p.name.removesuffix(".yaml") for p in (ROOT / "charts" / "modelplane-crds" / "files" / "crds").glob("*.yaml")
    }
    for crd in crds:
        policy = crd["metadata"].get("annotations", {}).get("helm.sh/resource-policy")
        assert policy == ("keep" if keep else None)


def test_crd_upgrade_hooks_run_before_the_upgrade_in_order(tools: Any, charts_dir: pathlib.Path) -> None:
    objs = tools.helm_template(charts_dir / "modelplane-crds")
    jobs = {o["metadata"]["name"]: o for o in objs if o["kind"] == "Job"}
    check, apply = jobs["release-crd-upgrade-check"], jobs["release-crd-upgrade-apply"]
    for job, step in ((check, "check-crds"), (apply, "apply-crds")):
        assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-upgrade"
        assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["hook", step, "--dir", "/crds"]
    assert int(check["metadata"]["annotations"]["helm.sh/hook-weight"]) < int(
        apply["metadata"]["annotations"]["helm.sh/hook-weight"]
    )
    mounted = {s["configMap"]["name"] for s in apply["spec"]["template"]["spec"]["volumes"][0]["projected"]["sources"]}
    configmaps = {o["metadata"]["name"]: o for o in objs if o["kind"] == "ConfigMap"}
    assert mounted <= set(configmaps)
    for name in mounted:
        assert int(configmaps[name]["metadata"]["annotations"]["helm.sh/hook-weight"]) < -10


@pytest.mark.parametrize(("chart", "values"), SCENARIOS, ids=[f"{c}-{p.stem}" for c, p in SCENARIOS])
def test_rbac_has_no_wildcard_verbs(tools: Any, charts_dir: pathlib.Path, chart: str, values: pathlib.Path) -> None:
    for obj in tools.helm_template(charts_dir / chart, "--values", str(values)):
        if obj["kind"] in ("ClusterRole", "Role"):
            for rule in obj.get("rules", []):
                assert "*" not in rule["verbs"], f"{obj['kind']}/{obj['metadata']['name']}: {rule}"


@pytest.mark.parametrize(("chart", "values"), SCENARIOS, ids=[f"{c}-{p.stem}" for c, p in SCENARIOS])
def test_every_pod_meets_the_restricted_level(
    tools: Any, charts_dir: pathlib.Path, chart: str, values: pathlib.Path
) -> None:
    pods = pod_specs(tools.helm_template(charts_dir / chart, "--values", str(values)))
    assert pods or (chart, values.name) == ("modelplane-crds", "gitops-values.yaml"), "no pod rendered"
    for name, spec in pods:
        pod = spec.get("securityContext", {})
        assert pod.get("runAsNonRoot") is True, name
        assert pod.get("seccompProfile", {}).get("type") == "RuntimeDefault", name
        for container in spec["containers"]:
            sc = container.get("securityContext", {})
            assert sc.get("allowPrivilegeEscalation") is False, name
            assert sc.get("capabilities", {}).get("drop") == ["ALL"], name
            assert "privileged" not in sc, name
            assert "hostNetwork" not in spec, name


def test_runtimes_meet_the_restricted_level(tools: Any, charts_dir: pathlib.Path) -> None:
    for obj in tools.helm_template(charts_dir / "modelplane"):
        if obj["kind"] == "ClusterServingRuntime":
            for container in obj["spec"]["containers"]:
                sc = container["securityContext"]
                assert sc["allowPrivilegeEscalation"] is False
                assert sc["runAsNonRoot"] is True
                assert sc["capabilities"]["drop"] == ["ALL"]
                assert sc["seccompProfile"]["type"] == "RuntimeDefault"


def test_webhook_readiness_is_the_webhook_port(tools: Any, charts_dir: pathlib.Path) -> None:
    objs = tools.helm_template(charts_dir / "modelplane")
    deployment = next(o for o in objs if o["kind"] == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["tcpSocket"]["port"] == "webhook"
    assert {"name": "webhook", "containerPort": 9443, "protocol": "TCP"} in container["ports"]
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert "--webhook-addr=0.0.0.0" in container["args"]
    assert "--cert-dir=/etc/modelplane/webhook" in container["args"]
    service = next(o for o in objs if o["kind"] == "Service")
    assert service["spec"]["ports"][0]["targetPort"] == "webhook"
    vwc = next(o for o in objs if o["kind"] == "ValidatingWebhookConfiguration")
    paths = {w["clientConfig"]["service"]["path"] for w in vwc["webhooks"]}
    assert paths == {
        f"/validate-{k}" for k in ("inferenceservice", "servingruntime", "clusterservingruntime", "trainedmodel")
    }
    ready = next(o for o in objs if o["kind"] == "Job" and o["metadata"]["name"].endswith("webhook-ready"))
    assert ready["metadata"]["annotations"]["helm.sh/hook"] == "post-install,post-upgrade"


def test_webhook_paths_match_the_operator() -> None:
    from modelplane.operator import admitting

    vwc_paths = {
        "validate-inferenceservice",
        "validate-servingruntime",
        "validate-clusterservingruntime",
        "validate-trainedmodel",
    }
    source = pathlib.Path(admitting.__file__).read_text()
    for path in vwc_paths:
        assert f'"{path}"' in source


@pytest.mark.parametrize("cert_manager", [True, False])
def test_certificate_paths(tools: Any, charts_dir: pathlib.Path, cert_manager: bool) -> None:
    objs = tools.helm_template(
        charts_dir / "modelplane", "--set", f"webhook.certManager.enabled={str(cert_manager).lower()}"
    )
    kinds = {o["kind"] for o in objs}
    vwc = next(o for o in objs if o["kind"] == "ValidatingWebhookConfiguration")
    jobs = {o["metadata"]["name"]: o for o in objs if o["kind"] == "Job"}
    ready_args = jobs["release-modelplane-webhook-ready"]["spec"]["template"]["spec"]["containers"][0]["args"]
    if cert_manager:
        assert {"Certificate", "Issuer"} <= kinds
        assert vwc["metadata"]["annotations"]["cert-manager.io/inject-ca-from"].endswith(
            "/release-modelplane-webhook-cert"
        )
        assert "release-modelplane-webhook-cert" not in jobs
        assert "--ca-from-secret" not in ready_args
    else:
        assert not {"Certificate", "Issuer"} & kinds
        assert "annotations" not in vwc["metadata"]
        certs = jobs["release-modelplane-webhook-cert"]
        assert certs["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
        assert ready_args[-2:] == ["--ca-from-secret", "release-modelplane-webhook-cert"]


@pytest.mark.parametrize("served", [True, False])
def test_monitoring_only_with_prometheus_operator(tools: Any, charts_dir: pathlib.Path, served: bool) -> None:
    args = ["--api-versions", "monitoring.coreos.com/v1"] if served else []
    objs = tools.helm_template(charts_dir / "modelplane", *args)
    monitors = [o for o in objs if o["kind"] == "PodMonitor"]
    service_monitors = [o for o in objs if o["kind"] == "ServiceMonitor"]
    dashboards = [o for o in objs if o["kind"] == "ConfigMap" and "modelplane.json" in o.get("data", {})]
    assert len(monitors) == len(service_monitors) == len(dashboards) == (1 if served else 0)
    if served:
        dashboard = json.loads(dashboards[0]["data"]["modelplane.json"])
        exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
        for metric in (
            "modelplane_requests_total",
            "modelplane_request_duration_seconds_bucket",
            "modelplane_batch_size",
            "modelplane_controller_reconcile_total",
            "modelplane_controller_reconcile_time_seconds_bucket",
            "modelplane_workqueue_depth",
            "modelplane_webhook_admission_total",
        ):
            assert metric in exprs
        # The ServiceMonitor finds the metrics Service, and that Service the controller's metrics port.
        (monitor,) = service_monitors
        (service,) = [o for o in objs if o["kind"] == "Service" and o["metadata"]["name"].endswith("-metrics")]
        deployment = next(o for o in objs if o["kind"] == "Deployment")
        assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
        assert service["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        port = next(p for p in container["ports"] if p["name"] == "metrics")["containerPort"]
        assert f"--metrics-port={port}" in container["args"]
        assert monitor["spec"]["endpoints"][0]["port"] == service["spec"]["ports"][0]["name"] == "metrics"


def test_configmap_parses_with_the_controller_parser(tools: Any, charts_dir: pathlib.Path) -> None:
    from modelplane.reconcile import config

    for values in ci_files("modelplane"):
        objs = tools.helm_template(charts_dir / "modelplane", "--values", str(values))
        cm = next(o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "inferenceservice-config")
        parsed = config.from_configmap_data(cm["data"])
        expected = yaml.safe_load(values.read_text()) or {}
        mode = expected.get("config", {}).get("deploy", {}).get("defaultDeploymentMode", "Serverless")
        assert parsed.default_deployment_mode == config.normalise_mode(mode)


def test_bundled_runtimes_pass_the_webhook_validation(tools: Any, charts_dir: pathlib.Path) -> None:
    from modelplane.api import validation

    objs = tools.helm_template(
        charts_dir / "modelplane", "--values", str(ROOT / "charts" / "modelplane" / "ci" / "gpu-values.yaml")
    )
    runtimes = [o for o in objs if o["kind"] == "ClusterServingRuntime"]
    assert {r["metadata"]["name"] for r in runtimes} == {
        "modelplane-sklearn",
        "modelplane-xgboost",
        "modelplane-lightgbm",
        "modelplane-onnx",
        "modelplane-pytorch",
        "modelplane-custom",
        "modelplane-multimodel",
        "modelplane-triton",
        "modelplane-torchserve",
        "modelplane-tfserving",
        "modelplane-mlserver",
    }
    for runtime in runtimes:
        assert runtime["metadata"]["labels"]["modelplane.io/bundled"] == "true"
        assert validation.validate_serving_runtime(runtime) == [], runtime["metadata"]["name"]
    sklearn = next(r for r in runtimes if r["metadata"]["name"] == "modelplane-sklearn")
    assert sklearn["spec"]["containers"][0]["args"] == [
        "--model_name={{.Name}}",
        "--model_dir=/mnt/models",
        "--model_format=sklearn",
        "--http_host=0.0.0.0",
        "--http_port=8080",
        "--grpc_port=8081",
    ]


@pytest.mark.parametrize("runtime", ["triton", "torchserve", "tfserving", "mlserver", "modelplane"])
def test_each_runtime_is_switchable(tools: Any, charts_dir: pathlib.Path, runtime: str) -> None:
    objs = tools.helm_template(charts_dir / "modelplane", "--set", f"runtimes.{runtime}.enabled=false")
    names = {o["metadata"]["name"] for o in objs if o["kind"] == "ClusterServingRuntime"}
    if runtime == "modelplane":
        assert names == {"modelplane-triton", "modelplane-torchserve", "modelplane-tfserving", "modelplane-mlserver"}
    else:
        assert f"modelplane-{runtime}" not in names
        assert len(names) == 10


def test_platform_knobs_reach_their_objects(tools: Any, charts_dir: pathlib.Path) -> None:
    objs = tools.helm_template(
        charts_dir / "platform",
        "--values",
        str(ROOT / "charts" / "platform" / "ci" / "gpu-values.yaml"),
        "--set",
        "knative.autoscaler.stableWindow=90s",
        "--set",
        "knative.domain=models.example.org",
    )
    hook_cm = next(o for o in objs if o["kind"] == "ConfigMap" and "knativeserving.yaml" in o.get("data", {}))
    knative = yaml.safe_load(hook_cm["data"]["knativeserving.yaml"])
    assert knative["kind"] == "KnativeServing"
    assert knative["spec"]["config"]["autoscaler"]["stable-window"] == "90s"
    assert knative["spec"]["config"]["domain"] == {"models.example.org": ""}
    assert knative["spec"]["ingress"]["istio"]["enabled"] is True
    plugin = next(
        o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "modelplane-device-plugin-config"
    )
    config = yaml.safe_load(plugin["data"]["default"])
    assert config["sharing"]["timeSlicing"]["resources"] == [{"name": "nvidia.com/gpu", "replicas": 4}]
    assert config["flags"]["migStrategy"] == "none"
    # The platform brings the runtimes' CRD itself, so its runtimes are the hook's ConfigMap (test_runtime_install).
    runtimes = next(o for o in objs if o["kind"] == "ConfigMap" and "runtimes.yaml" in o.get("data", {}))
    triton = next(
        r for r in yaml.safe_load_all(runtimes["data"]["runtimes.yaml"]) if r["metadata"]["name"] == "modelplane-triton"
    )
    assert triton["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == 1


def test_platform_raw_scenario_turns_knative_off(tools: Any, charts_dir: pathlib.Path) -> None:
    objs = tools.helm_template(
        charts_dir / "platform", "--values", str(ROOT / "charts" / "platform" / "ci" / "raw-values.yaml")
    )
    assert not [o for o in objs if o["kind"] == "Namespace" or "knativeserving.yaml" in o.get("data", {})]
    cm = next(o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "inferenceservice-config")
    assert json.loads(cm["data"]["deploy"]) == {"defaultDeploymentMode": "RawDeployment"}


def test_hook_annotations_are_hard_coded_in_templates() -> None:
    for chart in CHARTS:
        values = (ROOT / "charts" / chart / "values.yaml").read_text()
        assert "helm.sh/hook" not in values, chart


@pytest.mark.parametrize(("chart", "values"), SCENARIOS, ids=[f"{c}-{p.stem}" for c, p in SCENARIOS])
def test_every_container_command_line_parses(
    tools: Any, charts_dir: pathlib.Path, chart: str, values: pathlib.Path
) -> None:
    """The controller and every hook run `modelplane ...`: their args must be ones the CLI accepts."""
    from modelplane.cli import __main__ as cli

    parser = cli.build_parser()
    for name, spec in pod_specs(tools.helm_template(charts_dir / chart, "--values", str(values))):
        for container in spec["containers"]:
            args = parser.parse_args(container["args"])
            assert args.command in ("operator", "hook"), name
