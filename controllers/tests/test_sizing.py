"""Tests for modelplane.sizing: the published figures drive the recommendation (gateway memory per Knative
Service, Envoy CPU per 1,000 rps, Istio's production floor of 3), the values snippet matches charts/platform's
schema, and bad input is refused naming the flag."""

from __future__ import annotations

import json
import pathlib

import jsonschema
import pytest
from modelplane import sizing

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_small_dev_cluster_keeps_istio_defaults() -> None:
    rec = sizing.recommend(isvcs=5, rps=50, ha=False)
    assert (rec.gateway_min_replicas, rec.gateway_max_replicas) == (1, 5)
    assert rec.gateway_cpu_request_m == 100
    assert rec.gateway_memory_request_mi == 192  # 128Mi + 5 services and 50 rps, rounded up to 64Mi
    assert rec.istiod_replicas == 1
    assert rec.istiod_memory_request_mi == 2048 + 256
    assert rec.warnings == ()


def test_production_floor_is_three_replicas() -> None:
    rec = sizing.recommend(isvcs=10, rps=100)
    assert rec.gateway_min_replicas == 3
    assert rec.istiod_replicas == 3


def test_gateway_replicas_follow_envoy_cpu_per_request() -> None:
    # 20,000 rps x 0.5 vCPU per 1,000 rps = 10 vCPU; at 80 % of 1 vCPU per replica that is 13 replicas.
    rec = sizing.recommend(isvcs=10, rps=20_000)
    assert rec.gateway_min_replicas == 13
    assert rec.gateway_max_replicas == 26
    assert rec.gateway_cpu_request_m == 1000


def test_gateway_memory_grows_with_knative_services() -> None:
    # 1,500 Knative Services x 1.4 MB = 2,100 MB ~ 2,003 MiB on top of the 128Mi base: the reported 2.1 GB.
    rec = sizing.recommend(isvcs=1500, rps=0)
    assert 2048 <= rec.gateway_memory_request_mi <= 2176
    assert rec.warnings
    assert "352" in rec.warnings[0]


def test_transformers_double_the_services() -> None:
    one = sizing.recommend(isvcs=400, rps=0, components=1)
    two = sizing.recommend(isvcs=400, rps=0, components=2)
    assert two.knative_services == 800
    assert two.gateway_memory_request_mi > one.gateway_memory_request_mi


def test_scale_to_zero_keeps_the_activator_in_path() -> None:
    rec = sizing.recommend(isvcs=50, rps=4000, min_replicas=0)
    assert rec.target_burst_capacity == -1
    assert rec.activator_replicas == 3  # 2 vCPU of proxying at 0.8 vCPU per replica
    assert any("activator" in w for w in rec.warnings)
    assert rec.sidecar_cpu == 25.0  # 50 services x 1 replica x 0.5 CPU


def test_snippet_is_valid_platform_values() -> None:
    schema = json.loads((ROOT / "charts" / "platform" / "values.schema.json").read_text())
    snippet = sizing.values_snippet(sizing.recommend(isvcs=300, rps=12_000))
    jsonschema.validate(snippet, schema)
    gateway = snippet["istio-gateway"]
    assert gateway["podDisruptionBudget"] == {"minAvailable": gateway["autoscaling"]["minReplicas"] - 1}


def test_report_names_every_recommendation() -> None:
    text = sizing.report(sizing.recommend(isvcs=100, rps=1000))
    for fragment in ("ingress gateway: 3..6 replicas", "istiod: 3 replicas", "knative activator", "queue-proxy"):
        assert fragment in text


@pytest.mark.parametrize(
    ("kwargs", "flag"),
    [
        pytest.param({"isvcs": -1, "rps": 1}, "--isvcs", id="negative-isvcs"),
        pytest.param({"isvcs": 1, "rps": -5}, "--rps", id="negative-rps"),
        pytest.param({"isvcs": 1, "rps": float("nan")}, "--rps", id="nan-rps"),
        pytest.param({"isvcs": 1, "rps": 1, "components": 4}, "--components", id="components"),
        pytest.param({"isvcs": 1, "rps": 1, "min_replicas": -1}, "--min-replicas", id="min-replicas"),
    ],
)
def test_bad_input_names_the_flag(kwargs: dict[str, float], flag: str) -> None:
    with pytest.raises(sizing.SizingError, match=flag):
        sizing.recommend(**kwargs)  # type: ignore[arg-type]
