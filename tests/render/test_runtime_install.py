"""Render tests of how the bundled ClusterServingRuntimes reach the cluster (`runtimes.installWith`), and of the
platform chart's checks of combinations that cannot install in one release.

Covers: `manifest` (the modelplane chart's default) renders the runtimes as objects and no runtimes hook; `hook`
renders no runtime object but the same runtimes, plus Helm's ownership annotations, in a plain ConfigMap, which the
hook's own loader accepts with the selector its Job passes (all runtimes off: an empty set, so the hook prunes
them all); the apply Job runs after install and upgrade, before the webhook readiness Job, with that ConfigMap
mounted, and the delete Job before uninstall; the hook's RBAC exists for each of those events and may touch
exactly the names a bundled runtime can have; a misspelt mode fails the schema. The platform chart defaults to the
hook and the self-signed certificate; cert-manager from the same release with the webhook certificate from
cert-manager, or its own CRDs with runtimes as objects, fail the render saying what to set, while the working
alternatives (cert-manager already in the cluster, CRDs installed beforehand) render.
"""

from __future__ import annotations

import pathlib
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.render

ROOT = pathlib.Path(__file__).resolve().parents[2]
HELM = str(ROOT / "bin" / "helm")
RUNTIMES = ("modelplane", "triton", "torchserve", "tfserving", "mlserver")


def runtimes_of(objs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objs if o["kind"] == "ClusterServingRuntime"}


def configmap(objs: list[dict[str, Any]]) -> dict[str, Any]:
    return next(o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"].endswith("-runtimes"))


def embedded(objs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return runtimes_of([d for d in yaml.safe_load_all(configmap(objs)["data"]["runtimes.yaml"]) if d])


def jobs(objs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objs if o["kind"] == "Job"}


def container(job: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = job["spec"]["template"]["spec"]["containers"][0]
    return found


def test_manifest_renders_runtimes_as_objects_and_no_hook(tools: Any, charts_dir: pathlib.Path) -> None:
    objs = tools.helm_template(charts_dir / "modelplane")
    assert len(runtimes_of(objs)) == 11
    assert not [o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"].endswith("-runtimes")]
    assert not [name for name in jobs(objs) if "runtimes" in name]
    for obj in objs:
        assert "pre-delete" not in obj["metadata"].get("annotations", {}).get("helm.sh/hook", ""), obj["kind"]


def test_hook_renders_the_same_runtimes_into_a_configmap(tools: Any, charts_dir: pathlib.Path) -> None:
    plain = runtimes_of(tools.helm_template(charts_dir / "modelplane"))
    objs = tools.helm_template(charts_dir / "modelplane", "--set", "runtimes.installWith=hook")
    assert runtimes_of(objs) == {}
    cm = configmap(objs)
    assert "helm.sh/hook" not in cm["metadata"].get("annotations", {}), "a plain object, current before the hooks"
    inside = embedded(objs)
    assert set(inside) == set(plain)
    for name, runtime in inside.items():
        annotations = runtime["metadata"].pop("annotations")
        assert annotations == {
            "meta.helm.sh/release-name": "release",
            "meta.helm.sh/release-namespace": cm["metadata"]["namespace"],
        }
        assert runtime["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "Helm"
        assert runtime == plain[name]


def test_the_hook_jobs_are_wired_to_their_events(tools: Any, charts_dir: pathlib.Path, tmp_path: pathlib.Path) -> None:
    from modelplane.cli import __main__ as cli
    from modelplane.hooks import runtimesets

    objs = tools.helm_template(charts_dir / "modelplane", "--set", "runtimes.installWith=hook")
    found = jobs(objs)
    apply, delete = found["release-modelplane-runtimes-apply"], found["release-modelplane-runtimes-delete"]
    ready = found["release-modelplane-webhook-ready"]
    assert apply["metadata"]["annotations"]["helm.sh/hook"] == "post-install,post-upgrade"
    assert delete["metadata"]["annotations"]["helm.sh/hook"] == "pre-delete"
    weight = int(apply["metadata"]["annotations"]["helm.sh/hook-weight"])
    assert weight < int(ready["metadata"]["annotations"]["helm.sh/hook-weight"])

    parser = cli.build_parser()
    applied = parser.parse_args(container(apply)["args"])
    deleted = parser.parse_args(container(delete)["args"])
    assert (applied.step, deleted.step) == ("apply-runtimes", "delete-runtimes")
    assert applied.selector == deleted.selector
    spec = apply["spec"]["template"]["spec"]
    assert spec["volumes"] == [{"name": "files", "configMap": {"name": configmap(objs)["metadata"]["name"]}}]
    assert container(apply)["volumeMounts"][0]["mountPath"] == str(applied.dir)
    assert "volumes" not in delete["spec"]["template"]["spec"]

    # The hook's own loader accepts the ConfigMap's content with the selector its Job passes.
    (tmp_path / "runtimes.yaml").write_text(configmap(objs)["data"]["runtimes.yaml"])
    loaded = runtimesets.load(tmp_path, selector=runtimesets.parse_selector(applied.selector))
    assert len(loaded) == 11


def test_all_runtimes_off_is_an_empty_set(tools: Any, charts_dir: pathlib.Path, tmp_path: pathlib.Path) -> None:
    from modelplane.hooks import runtimesets

    off = [a for r in RUNTIMES for a in ("--set", f"runtimes.{r}.enabled=false")]
    objs = tools.helm_template(charts_dir / "modelplane", "--set", "runtimes.installWith=hook", *off)
    (tmp_path / "runtimes.yaml").write_text(configmap(objs)["data"]["runtimes.yaml"])
    selector = {"app.kubernetes.io/instance": "release", "modelplane.io/bundled": "true"}
    assert runtimesets.load(tmp_path, selector=selector) == []
    assert "release-modelplane-runtimes-apply" in jobs(objs), "the Job must still run: it prunes them all"


def test_the_hook_rbac_covers_every_event_and_only_bundled_names(tools: Any, charts_dir: pathlib.Path) -> None:
    objs = tools.helm_template(charts_dir / "modelplane", "--set", "runtimes.installWith=hook")
    rbac = [o for o in objs if o["metadata"]["name"] == "release-modelplane-hook"]
    assert {o["kind"] for o in rbac} == {"ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"}
    for obj in rbac:
        events = obj["metadata"]["annotations"]["helm.sh/hook"].split(",")
        assert {"post-install", "post-upgrade", "pre-delete"} <= set(events), obj["kind"]
        assert int(obj["metadata"]["annotations"]["helm.sh/hook-weight"]) < -5
    role = next(o for o in rbac if o["kind"] == "ClusterRole")
    rules = [r for r in role["rules"] if r["resources"] == ["clusterservingruntimes"]]
    named = next(r for r in rules if "resourceNames" in r)
    assert set(named["verbs"]) == {"get", "create", "patch", "delete"}
    assert [r["verbs"] for r in rules if "resourceNames" not in r] == [["list"]]
    # Every name a runtime can have, and no other: render with every runtime and every format switched on.
    everything = tools.helm_template(charts_dir / "modelplane")
    assert set(named["resourceNames"]) == set(runtimes_of(everything))
    crd = next(r for r in role["rules"] if r["resources"] == ["customresourcedefinitions"])
    assert (crd["resourceNames"], crd["verbs"]) == (["clusterservingruntimes.serving.kserve.io"], ["get"])


def test_a_misspelt_mode_fails(tools: Any, charts_dir: pathlib.Path) -> None:
    done = tools.run(HELM, "template", "r", str(charts_dir / "modelplane"), "--set", "runtimes.installWith=helm")
    assert done.returncode != 0
    assert "installWith" in done.stderr


def test_the_platform_defaults_install_in_one_release(tools: Any, charts_dir: pathlib.Path) -> None:
    objs = tools.helm_template(charts_dir / "platform")
    assert runtimes_of(objs) == {}
    assert len(embedded(objs)) == 11
    assert not {"Certificate", "Issuer"} & {o["kind"] for o in objs}
    found = jobs(objs)
    assert found["release-modelplane-webhook-cert"]["metadata"]["annotations"]["helm.sh/hook"] == (
        "pre-install,pre-upgrade"
    )
    assert "release-modelplane-runtimes-apply" in found


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        pytest.param(
            ["modelplane.webhook.certManager.enabled=true"],
            "components.certManager=true with modelplane.webhook.certManager.enabled=true cannot install: the "
            "cert-manager this release installs cannot issue the webhook certificate before the controller must be "
            "Ready. Set modelplane.webhook.certManager.enabled=false",
            id="cert-manager-in-the-same-release",
        ),
        pytest.param(
            ["modelplane.runtimes.installWith=manifest"],
            "components.modelplaneCrds=true with modelplane.runtimes.installWith=manifest cannot install: the "
            "ClusterServingRuntime CRD arrives in this same release, and Helm refuses objects of a kind the API server "
            "does not serve yet. Set modelplane.runtimes.installWith=hook",
            id="runtimes-as-objects-with-their-crd",
        ),
    ],
)
def test_a_combination_that_cannot_install_fails_saying_what_to_set(
    tools: Any, charts_dir: pathlib.Path, settings: list[str], message: str
) -> None:
    args = [a for s in settings for a in ("--set", s)]
    done = tools.run(HELM, "template", "r", str(charts_dir / "platform"), *args)
    assert done.returncode != 0
    assert message in done.stderr


@pytest.mark.parametrize(
    ("settings", "kinds"),
    [
        pytest.param(
            ["components.certManager=false", "modelplane.webhook.certManager.enabled=true"],
            {"Certificate", "Issuer"},
            id="cert-manager-already-installed",
        ),
        pytest.param(
            ["components.modelplaneCrds=false", "modelplane.runtimes.installWith=manifest"],
            {"ClusterServingRuntime"},
            id="crds-installed-beforehand",
        ),
        pytest.param(["components.modelplane=false"], {"CustomResourceDefinition"}, id="crds-alone"),
    ],
)
def test_the_working_alternatives_render(
    tools: Any, charts_dir: pathlib.Path, settings: list[str], kinds: set[str]
) -> None:
    args = [a for s in settings for a in ("--set", s)]
    assert kinds <= {o["kind"] for o in tools.helm_template(charts_dir / "platform", *args)}
