"""The platform chart with the values the two e2e profiles install it with, rendered by helm from bin/.

Covers: `hack/local-platform.sh stage` stages charts/platform with only its file:// dependencies (modelplane-crds,
modelplane), offline; with hack/local-platform-values.yaml it renders the Modelplane CRDs and controller and no
upstream piece, RawDeployment by default with Ingress routing and the self-signed webhook certificate; with
hack/kind-platform-values.yaml the values pass the chart's schema, Modelplane's images have fixed tags and are not
pulled when present (hack/kind.sh loads them into the node) and the Istio gateway's NodePort is the one
hack/kind-config.yaml publishes.
"""

from __future__ import annotations

import json
import pathlib
import re
import subprocess
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.render

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def platform_chart(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    stage = tmp_path_factory.mktemp("platform")
    done = subprocess.run(
        [str(ROOT / "hack" / "local-platform.sh"), "stage", str(stage)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    chart = pathlib.Path(done.stdout.strip())
    assert sorted(p.name for p in (chart / "charts").iterdir()) == [
        f"modelplane-{version('modelplane')}.tgz",
        f"modelplane-crds-{version('modelplane-crds')}.tgz",
    ]
    return chart


def version(chart: str) -> str:
    return str(yaml.safe_load((ROOT / "charts" / chart / "Chart.yaml").read_text())["version"])


def render(chart: pathlib.Path, values: str) -> list[dict[str, Any]]:
    done = subprocess.run(
        [str(ROOT / "bin" / "helm"), "template", "platform", str(chart), "-n", "modelplane-system",
         "--kube-version", "1.34.4", "-f", str(ROOT / "hack" / values)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return [o for o in yaml.safe_load_all(done.stdout) if o]


def test_local_values_install_modelplane_alone_in_raw_mode(platform_chart: pathlib.Path) -> None:
    objects = render(platform_chart, "local-platform-values.yaml")
    kinds = {o["kind"] for o in objects}
    assert "CustomResourceDefinition" in kinds
    assert "Deployment" in kinds
    assert not kinds & {"Certificate", "Issuer", "KnativeServing"}
    assert not [o for o in objects if o["metadata"].get("namespace") in ("istio-system", "knative-serving")]
    config = next(o for o in objects if o["kind"] == "ConfigMap" and "deploy" in o.get("data", {}))
    assert json.loads(config["data"]["deploy"])["defaultDeploymentMode"] == "RawDeployment"
    assert json.loads(config["data"]["ingress"])["routing"] == "ingress"


def test_kind_values_pass_the_schema_and_use_the_loaded_images(platform_chart: pathlib.Path) -> None:
    objects = render(platform_chart, "kind-platform-values.yaml")
    containers = [
        c
        for o in objects
        if o["kind"] in ("Deployment", "Job")
        for c in o["spec"]["template"]["spec"].get("containers", [])
        if c["image"].startswith("modelplane/")
    ]
    assert containers
    built = re.search(r"^VERSION=(\S+)$", (ROOT / "hack" / "kind.sh").read_text(), re.MULTILINE)
    assert built is not None
    assert {c["image"] for c in containers} == {f"modelplane/controller:{built.group(1)}"}
    assert {c.get("imagePullPolicy") for c in containers} <= {"IfNotPresent", "Never"}
    values = yaml.safe_load((ROOT / "hack" / "kind-platform-values.yaml").read_text())
    ports = values["istio-gateway"]["service"]["ports"]
    mapping = yaml.safe_load((ROOT / "hack" / "kind-config.yaml").read_text())["nodes"][0]["extraPortMappings"][0]
    assert [p["nodePort"] for p in ports if p["name"] == "http2"] == [mapping["containerPort"]]
