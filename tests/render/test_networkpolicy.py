"""Render tests of the controller's NetworkPolicy, in the chart and in the overlays that include it.

Covers: ingress only to the webhook and health ports; egress to DNS and the API server ports, to the container
port of predictor pods (the RawDeployment path of the TrainedModel loads the controller sends) and to Knative's
local gateway pods (the Serverless path), and to nothing else; the predictor rule narrows to the watched namespace
when there is one; each rule follows its values (ports, gateway namespace and labels, off switches) and an empty
gateway selector fails naming the value; the selectors match the labels the controller puts on predictor pods and
the port the bundled runtimes serve on; the production, raw and Argo CD overlays carry the same rules, the raw
overlay without the Knative gateway rule.
"""

from __future__ import annotations

import pathlib
from typing import Any

import pytest

pytestmark = pytest.mark.render

ROOT = pathlib.Path(__file__).resolve().parents[2]
HELM = str(ROOT / "bin" / "helm")
NS = "kubernetes.io/metadata.name"


def policy(objs: list[dict[str, Any]]) -> dict[str, Any]:
    (found,) = [o for o in objs if o["kind"] == "NetworkPolicy"]
    return found


def render(tools: Any, charts_dir: pathlib.Path, *settings: str) -> dict[str, Any]:
    args = [a for s in settings for a in ("--set", s)]
    return policy(tools.helm_template(charts_dir / "modelplane", *args))


def ports(rule: dict[str, Any]) -> list[tuple[Any, str]]:
    return [(p["port"], p["protocol"]) for p in rule["ports"]]


def predictor_rule(spec: dict[str, Any]) -> dict[str, Any] | None:
    return next((r for r in spec["egress"] if r.get("to") and "matchExpressions" in r["to"][0]["podSelector"]), None)


def gateway_rule(spec: dict[str, Any]) -> dict[str, Any] | None:
    return next((r for r in spec["egress"] if r.get("to") and "matchLabels" in r["to"][0]["podSelector"]), None)


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Whether a label selector (matchLabels, matchExpressions with In/NotIn/Exists/DoesNotExist) selects labels."""
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        present = key in labels
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
    return True


def test_default_policy_allows_exactly_what_the_controller_uses(tools: Any, charts_dir: pathlib.Path) -> None:
    spec = render(tools, charts_dir)["spec"]
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    assert [ports(r) for r in spec["ingress"]] == [[("webhook", "TCP"), ("health", "TCP")]]
    assert all("from" not in r for r in spec["ingress"])
    assert len(spec["egress"]) == 4
    dns, api = spec["egress"][:2]
    assert ports(dns) == [(53, "UDP"), (53, "TCP")]
    assert ports(api) == [(443, "TCP"), (6443, "TCP")]
    assert "to" not in dns
    assert "to" not in api
    predictors = predictor_rule(spec)
    assert predictors is not None
    assert ports(predictors) == [(8080, "TCP")]
    assert predictors["to"][0]["namespaceSelector"] == {}
    gateway = gateway_rule(spec)
    assert gateway is not None
    assert ports(gateway) == [(8081, "TCP")]
    assert gateway["to"] == [
        {
            "namespaceSelector": {"matchLabels": {NS: "istio-system"}},
            "podSelector": {"matchLabels": {"istio": "ingressgateway"}},
        }
    ]


def test_the_predictor_rule_selects_the_pods_the_controller_makes(tools: Any, charts_dir: pathlib.Path) -> None:
    """The labels come from the controller's own naming module; the port from the bundled runtimes."""
    from modelplane.reconcile import names

    objs = tools.helm_template(charts_dir / "modelplane")
    rule = predictor_rule(policy(objs)["spec"])
    assert rule is not None
    selector = rule["to"][0]["podSelector"]
    assert selects(selector, names.labels(isvc_name="iris", component="predictor"))
    for component in ("transformer", "explainer"):
        assert not selects(selector, names.labels(isvc_name="iris", component=component))
    assert not selects(selector, {"component": "predictor"}), "a pod of no InferenceService"
    served = {
        c["ports"][0]["containerPort"]
        for o in objs
        if o["kind"] == "ClusterServingRuntime" and o["metadata"]["name"].startswith("modelplane-")
        for c in o["spec"]["containers"][:1]
        if c.get("ports")
    }
    assert served == {p for p, _ in ports(rule)}


def test_the_predictor_rule_narrows_to_the_watched_namespace(tools: Any, charts_dir: pathlib.Path) -> None:
    rule = predictor_rule(render(tools, charts_dir, "controller.watchNamespace=team-a")["spec"])
    assert rule is not None
    assert rule["to"][0]["namespaceSelector"] == {"matchLabels": {NS: "team-a"}}


@pytest.mark.parametrize(
    ("settings", "predictor_ports", "gateway"),
    [
        pytest.param(["networkPolicy.modelServers.ports={8080,9000}"], [8080, 9000], True, id="more-ports"),
        pytest.param(["networkPolicy.modelServers.ports=null"], None, True, id="predictor-rule-off"),
        pytest.param(["networkPolicy.localGateway.enabled=false"], [8080], False, id="gateway-rule-off"),
    ],
)
def test_each_rule_follows_its_values(
    tools: Any, charts_dir: pathlib.Path, settings: list[str], predictor_ports: list[int] | None, gateway: bool
) -> None:
    spec = render(tools, charts_dir, *settings)["spec"]
    rule = predictor_rule(spec)
    assert (None if rule is None else [p for p, _ in ports(rule)]) == predictor_ports
    assert (gateway_rule(spec) is not None) == gateway


def test_the_gateway_rule_follows_its_values(tools: Any, charts_dir: pathlib.Path) -> None:
    spec = render(
        tools,
        charts_dir,
        "networkPolicy.localGateway.namespace=mesh",
        "networkPolicy.localGateway.podLabels.app=local-gw",
        "networkPolicy.localGateway.podLabels.istio=null",
        "networkPolicy.localGateway.ports={15021,8081}",
    )["spec"]
    rule = gateway_rule(spec)
    assert rule is not None
    assert rule["to"][0]["namespaceSelector"] == {"matchLabels": {NS: "mesh"}}
    assert rule["to"][0]["podSelector"] == {"matchLabels": {"app": "local-gw"}}
    assert [p for p, _ in ports(rule)] == [15021, 8081]


def test_an_empty_gateway_selector_fails_naming_the_value(tools: Any, charts_dir: pathlib.Path) -> None:
    done = tools.run(
        HELM, "template", "r", str(charts_dir / "modelplane"), "--set", "networkPolicy.localGateway.podLabels=null"
    )
    assert done.returncode != 0
    assert "networkPolicy.localGateway.podLabels" in done.stderr


def test_off_renders_no_policy(tools: Any, charts_dir: pathlib.Path) -> None:
    objs = tools.helm_template(charts_dir / "modelplane", "--set", "networkPolicy.enabled=false")
    assert not [o for o in objs if o["kind"] == "NetworkPolicy"]


@pytest.mark.parametrize("overlay", ["production", "argocd/modelplane", "raw"])
def test_overlays_carry_the_chart_policy(tools: Any, charts_dir: pathlib.Path, overlay: str) -> None:
    chart = render(tools, charts_dir, "fullnameOverride=modelplane")["spec"]
    built = policy(tools.kustomize_build(ROOT / "overlays" / overlay))
    assert built["metadata"]["namespace"] == "modelplane-system"
    spec = built["spec"]
    assert spec["ingress"] == chart["ingress"]
    assert predictor_rule(spec) == predictor_rule(chart)
    if overlay == "raw":
        assert gateway_rule(spec) is None, "no Knative in the raw overlay: no local gateway to reach"
        assert spec["egress"] == [r for r in chart["egress"] if r != gateway_rule(chart)]
    else:
        assert spec["egress"] == chart["egress"]
