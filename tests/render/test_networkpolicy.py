"""Render tests of the controller's NetworkPolicy, in the chart and in the overlays that include it.

Covers: ingress only to the webhook, health and metrics ports; egress to DNS and the API server ports, and to the
ports of predictor pods (the controller loads TrainedModels straight into each ready replica: the runtime's port on a
RawDeployment pod, Knative's queue-proxy on a Serverless one), and to nothing else; the predictor rule narrows to the
watched namespace when there is one and follows its ports value (off when empty); its selector matches the labels the
controller puts on predictor pods, and its ports hold the port the bundled runtimes serve on; the production, raw and
Argo CD overlays carry the chart's policy.
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
    assert [ports(r) for r in spec["ingress"]] == [[("webhook", "TCP"), ("health", "TCP"), ("metrics", "TCP")]]
    assert all("from" not in r for r in spec["ingress"])
    assert len(spec["egress"]) == 3
    dns, api, predictors = spec["egress"]
    assert ports(dns) == [(53, "UDP"), (53, "TCP")]
    assert ports(api) == [(443, "TCP"), (6443, "TCP")]
    assert "to" not in dns
    assert "to" not in api
    assert predictors == predictor_rule(spec)
    assert ports(predictors) == [(8080, "TCP"), (8012, "TCP")]
    assert predictors["to"][0]["namespaceSelector"] == {}


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
    assert served == {8080}
    assert served <= {p for p, _ in ports(rule)}


def test_the_predictor_rule_narrows_to_the_watched_namespace(tools: Any, charts_dir: pathlib.Path) -> None:
    rule = predictor_rule(render(tools, charts_dir, "controller.watchNamespace=team-a")["spec"])
    assert rule is not None
    assert rule["to"][0]["namespaceSelector"] == {"matchLabels": {NS: "team-a"}}


@pytest.mark.parametrize(
    ("setting", "predictor_ports"),
    [
        pytest.param("networkPolicy.modelServers.ports={8080,9000}", [8080, 9000], id="other-ports"),
        pytest.param("networkPolicy.modelServers.ports=null", None, id="off"),
    ],
)
def test_the_predictor_rule_follows_its_ports(
    tools: Any, charts_dir: pathlib.Path, setting: str, predictor_ports: list[int] | None
) -> None:
    spec = render(tools, charts_dir, setting)["spec"]
    rule = predictor_rule(spec)
    assert (None if rule is None else [p for p, _ in ports(rule)]) == predictor_ports
    assert len(spec["egress"]) == (2 if rule is None else 3)


def test_off_renders_no_policy(tools: Any, charts_dir: pathlib.Path) -> None:
    objs = tools.helm_template(charts_dir / "modelplane", "--set", "networkPolicy.enabled=false")
    assert not [o for o in objs if o["kind"] == "NetworkPolicy"]


@pytest.mark.parametrize("overlay", ["production", "argocd/modelplane", "raw"])
def test_overlays_carry_the_chart_policy(tools: Any, charts_dir: pathlib.Path, overlay: str) -> None:
    chart = render(tools, charts_dir, "fullnameOverride=modelplane")
    built = policy(tools.kustomize_build(ROOT / "overlays" / overlay))
    assert built["metadata"]["namespace"] == "modelplane-system"
    for field in ("policyTypes", "ingress", "egress"):
        assert built["spec"][field] == chart["spec"][field], field
    assert built["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "controller"
