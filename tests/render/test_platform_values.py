"""Render tests of the platform chart's values schema where it meets other charts' values.

Covers: in the upstream blocks, the mappings whose knobs we document (the Istio gateway's `autoscaling`,
istiod's `pilot.cpu`, cert-manager's `crds`, the device plugin's `config`) refuse a misspelt key by name, while the
upstream chart's other keys at those levels and every key of the levels we do not document still pass through;
the blocks of our own charts (`modelplane`, `modelplane-crds`) are checked by those charts' schemas.
"""

from __future__ import annotations

import pathlib
from typing import Any

import pytest

pytestmark = pytest.mark.render

ROOT = pathlib.Path(__file__).resolve().parents[2]
HELM = str(ROOT / "bin" / "helm")


@pytest.mark.parametrize(
    ("setting", "path", "key"),
    [
        pytest.param(
            "istio-gateway.autoscaling.minReplica=3", "/istio-gateway/autoscaling", "minReplica", id="gateway"
        ),
        pytest.param(
            "istiod.pilot.cpu.targetAverageUtilisation=70", "/istiod/pilot/cpu", "targetAverageUtilisation", id="istiod"
        ),
        pytest.param("cert-manager.crds.enable=true", "/cert-manager/crds", "enable", id="cert-manager"),
        pytest.param("nvidia-device-plugin.config.nam=x", "/nvidia-device-plugin/config", "nam", id="device-plugin"),
        pytest.param("modelplane-crds.crds.kepp=true", "/crds", "kepp", id="modelplane-crds"),
        pytest.param(
            "modelplane.config.deploy.defaultDeploymentModee=Serverless",
            "/config/deploy",
            "defaultDeploymentModee",
            id="modelplane",
        ),
    ],
)
def test_a_misspelt_knob_fails_naming_it(
    tools: Any, charts_dir: pathlib.Path, setting: str, path: str, key: str
) -> None:
    done = tools.run(HELM, "template", "r", str(charts_dir / "platform"), "--set", setting)
    assert done.returncode != 0
    assert f"at '{path}': additional properties '{key}' not allowed" in done.stderr


def test_upstream_keys_still_pass_through(tools: Any, charts_dir: pathlib.Path) -> None:
    settings = [
        "istio-gateway.autoscaling.autoscaleBehavior.scaleUp.stabilizationWindowSeconds=30",
        "istio-gateway.autoscaling.targetMemoryUtilizationPercentage=80",
        "istio-gateway.podAnnotations.example\\.com/team=platform",
        "istiod.pilot.nodeSelector.kubernetes\\.io/os=linux",
        "istiod.pilot.memory.targetAverageUtilization=80",
        "cert-manager.crds.keep=false",
        "cert-manager.replicaCount=2",
        "nvidia-device-plugin.config.fallbackStrategies={named}",
        "nvidia-device-plugin.tolerations[0].operator=Exists",
        "istio-base.base.enableIstioConfigCRDs=true",
    ]
    args = [a for s in settings for a in ("--set", s)]
    done = tools.run(HELM, "template", "r", str(charts_dir / "platform"), *args)
    assert done.returncode == 0, done.stderr


def test_a_documented_knob_keeps_its_type(tools: Any, charts_dir: pathlib.Path) -> None:
    done = tools.run(
        HELM,
        "template",
        "r",
        str(charts_dir / "platform"),
        "--set",
        "istio-gateway.autoscaling.targetCPUUtilizationPercentage=150",
    )
    assert done.returncode != 0
    assert "/istio-gateway/autoscaling/targetCPUUtilizationPercentage" in done.stderr
