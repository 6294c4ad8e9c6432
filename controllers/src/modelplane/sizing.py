"""`modelplane sizing`'s pure core: from the number of InferenceServices and peak requests/s to replica counts,
memory and Knative activator settings for the platform chart, each figure traceable to a published measurement.

The figures (docs/operations.md cites each): the Istio ingress gateway grows about 1.4 MB per Knative Service
(2.1 GB reported at 1,500 services) and Envoy costs about 0.5 vCPU and 50 MB per 1,000 requests/s; Istio's
defaults are a 100m / 128Mi gateway scaled 1..5 at 80 % CPU and a 500m / 2Gi istiod; production guidance is 3
istiod and 3 gateway replicas; each serving replica carries ~0.5 CPU / 0.5 GB of sidecar overhead in Serverless
mode; one-model-per-service topped out at 352 services in the KFServing 0.5 benchmark. Two rules are ours, marked
as such in the report: istiod memory grows with the same per-service figure as the gateway (it holds and pushes
the same routes), and the activator is sized with Envoy's per-request CPU figure.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

GATEWAY_MB_PER_SERVICE = 1.4  # 2.1 GB at 1,500 Knative Services
ENVOY_VCPU_PER_KRPS = 0.5
ENVOY_MB_PER_KRPS = 50.0
GATEWAY_BASE_MIB = 128  # Istio gateway chart default request
GATEWAY_HPA_TARGET = 0.8  # Istio gateway chart default: 80 % CPU
REPLICA_VCPU = 1.0  # vCPU one gateway/activator replica is planned to use at most
ISTIOD_BASE_MIB = 2048  # istiod chart default request
ISTIOD_CPU = "500m"
HA_REPLICAS = 3  # Istio's production guidance for istiod and gateway
SIDECAR_CPU = 0.5  # queue-proxy per serving replica (KFServing 0.5 benchmark)
SIDECAR_GB = 0.5
SERVICE_CEILING = 352  # one-model-per-service limit in the KFServing 0.5 benchmark
BURST_CAPACITY = 211  # Knative default target-burst-capacity
MB_PER_MIB = 1.048576


class SizingError(ValueError):
    """An input out of range; the message names the flag and the allowed values."""


@dataclasses.dataclass(frozen=True)
class Recommendation:
    """What to set, and the inputs and intermediate figures that led there."""

    isvcs: int
    rps: float
    knative_services: int
    gateway_min_replicas: int
    gateway_max_replicas: int
    gateway_cpu_request_m: int
    gateway_memory_request_mi: int
    gateway_memory_limit_mi: int
    istiod_replicas: int
    istiod_memory_request_mi: int
    activator_replicas: int
    target_burst_capacity: int
    sidecar_cpu: float
    sidecar_memory_gb: float
    warnings: tuple[str, ...]


def _round_up(value: float, step: int) -> int:
    return int(math.ceil(value / step) * step)


def recommend(*, isvcs: int, rps: float, components: int = 1, min_replicas: int = 1, ha: bool = True) -> Recommendation:
    """Size the gateway, istiod and the activator for `isvcs` InferenceServices (each with `components` Knative
    Services and `min_replicas` replicas) serving `rps` requests/s at peak, with HA replica floors when `ha`."""
    if isvcs < 0:
        raise SizingError(f"--isvcs must be 0 or more, got {isvcs}")
    if rps < 0 or math.isnan(rps) or math.isinf(rps):
        raise SizingError(f"--rps must be a finite number 0 or more, got {rps}")
    if components not in (1, 2, 3):
        raise SizingError(f"--components must be 1, 2 or 3 (predictor, transformer, explainer), got {components}")
    if min_replicas < 0:
        raise SizingError(f"--min-replicas must be 0 (scale to zero) or more, got {min_replicas}")
    floor = HA_REPLICAS if ha else 1
    services = isvcs * components
    vcpu = rps / 1000.0 * ENVOY_VCPU_PER_KRPS
    by_load = math.ceil(vcpu / (REPLICA_VCPU * GATEWAY_HPA_TARGET)) if vcpu else 0
    gw_min = max(floor, by_load)
    gw_max = max(5, 2 * gw_min)
    per_replica_vcpu = vcpu / gw_min
    cpu_m = max(100, _round_up(per_replica_vcpu * 1000 / GATEWAY_HPA_TARGET, 100))
    route_mib = services * GATEWAY_MB_PER_SERVICE / MB_PER_MIB
    traffic_mib = (rps / 1000.0) * ENVOY_MB_PER_KRPS / MB_PER_MIB / gw_min
    mem = _round_up(GATEWAY_BASE_MIB + route_mib + traffic_mib, 64)
    warnings = []
    if services > SERVICE_CEILING:
        warnings.append(
            f"{services} Knative Services exceed the {SERVICE_CEILING} at which one-model-per-service topped out in "
            "the KFServing 0.5 benchmark: serve many small models from one InferenceService with TrainedModels"
        )
    if min_replicas == 0:
        warnings.append(
            "scale to zero puts the activator in the path of every cold request (2-3 ms per hop, cold starts of "
            "seconds): keep minReplicas 1 for latency-sensitive models"
        )
    activator = max(2 if ha else 1, math.ceil(vcpu / (REPLICA_VCPU * GATEWAY_HPA_TARGET)) if min_replicas == 0 else 0)
    replicas = services * max(min_replicas, 1)
    return Recommendation(
        isvcs=isvcs,
        rps=rps,
        knative_services=services,
        gateway_min_replicas=gw_min,
        gateway_max_replicas=gw_max,
        gateway_cpu_request_m=cpu_m,
        gateway_memory_request_mi=mem,
        gateway_memory_limit_mi=max(1024, _round_up(mem * 2, 256)),
        istiod_replicas=floor,
        istiod_memory_request_mi=_round_up(ISTIOD_BASE_MIB + route_mib, 256),
        activator_replicas=activator,
        target_burst_capacity=-1 if min_replicas == 0 else BURST_CAPACITY,
        sidecar_cpu=round(replicas * SIDECAR_CPU, 1),
        sidecar_memory_gb=round(replicas * SIDECAR_GB, 1),
        warnings=tuple(warnings),
    )


def values_snippet(rec: Recommendation) -> dict[str, Any]:
    """The charts/platform values that apply the recommendation."""
    snippet: dict[str, Any] = {
        "istio-gateway": {
            "autoscaling": {
                "enabled": True,
                "minReplicas": rec.gateway_min_replicas,
                "maxReplicas": rec.gateway_max_replicas,
                "targetCPUUtilizationPercentage": int(GATEWAY_HPA_TARGET * 100),
            },
            "resources": {
                "requests": {"cpu": f"{rec.gateway_cpu_request_m}m", "memory": f"{rec.gateway_memory_request_mi}Mi"},
                "limits": {
                    "cpu": f"{max(2000, 2 * rec.gateway_cpu_request_m)}m",
                    "memory": f"{rec.gateway_memory_limit_mi}Mi",
                },
            },
        },
        "istiod": {
            "pilot": {
                "autoscaleMin": rec.istiod_replicas,
                "autoscaleMax": max(5, rec.istiod_replicas),
                "resources": {"requests": {"cpu": ISTIOD_CPU, "memory": f"{rec.istiod_memory_request_mi}Mi"}},
            }
        },
        "knative": {
            "highAvailabilityReplicas": rec.activator_replicas,
            "autoscaler": {"targetBurstCapacity": rec.target_burst_capacity},
        },
    }
    if rec.gateway_min_replicas > 1:
        snippet["istio-gateway"]["podDisruptionBudget"] = {"minAvailable": rec.gateway_min_replicas - 1}
    return snippet


def report(rec: Recommendation) -> str:
    """The human-readable summary: inputs, each recommendation with its reason, and warnings."""
    lines = [
        f"{rec.isvcs} InferenceServices ({rec.knative_services} Knative Services), {rec.rps:g} requests/s at peak",
        "",
        f"ingress gateway: {rec.gateway_min_replicas}..{rec.gateway_max_replicas} replicas (HPA at 80 % CPU), "
        f"requests {rec.gateway_cpu_request_m}m CPU / {rec.gateway_memory_request_mi}Mi, limit "
        f"{rec.gateway_memory_limit_mi}Mi",
        f"  memory: {GATEWAY_BASE_MIB}Mi base + {GATEWAY_MB_PER_SERVICE} MB per Knative Service + "
        f"{ENVOY_MB_PER_KRPS:g} MB per 1,000 rps per replica",
        f"  CPU: {ENVOY_VCPU_PER_KRPS} vCPU per 1,000 rps, replicas planned at {GATEWAY_HPA_TARGET:.0%} of "
        f"{REPLICA_VCPU:g} vCPU",
        f"istiod: {rec.istiod_replicas} replicas, requests {ISTIOD_CPU} CPU (no CPU limit) / "
        f"{rec.istiod_memory_request_mi}Mi",
        "  memory: 2Gi (Istio default) + the gateway's per-service figure (our rule: istiod holds the same routes)",
        f"knative activator: {rec.activator_replicas} replicas (high-availability), target-burst-capacity "
        f"{rec.target_burst_capacity}",
        "  (our rule: activator CPU per request taken as Envoy's)",
        f"queue-proxy overhead at min scale: {rec.sidecar_cpu:g} CPU / {rec.sidecar_memory_gb:g} GB "
        f"({SIDECAR_CPU} CPU / {SIDECAR_GB} GB per replica)",
    ]
    if rec.warnings:
        lines += ["", *[f"warning: {w}" for w in rec.warnings]]
    return "\n".join(lines) + "\n"
