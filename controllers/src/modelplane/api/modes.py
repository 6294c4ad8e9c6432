"""The InferenceService annotations that choose how it is deployed and scaled, and how to read them.

`serving.kserve.io/deploymentMode` picks Serverless (Knative; also spelt `Knative`) or RawDeployment (also spelt
`Standard`); without it the configured default applies, and the mode the controller first used is recorded in
`status.deploymentMode` and kept from then on. The autoscaler is Knative's class annotation in Serverless mode and
KServe's `autoscalerClass` annotation in Raw mode.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DEPLOYMENT_MODE = "serving.kserve.io/deploymentMode"
AUTOSCALER_CLASS = "serving.kserve.io/autoscalerClass"
KNATIVE_AUTOSCALER_CLASS = "autoscaling.knative.dev/class"

SERVERLESS = "Serverless"
RAW = "RawDeployment"
DEPLOYMENT_MODES = ("Serverless", "RawDeployment", "Knative", "Standard")
_MODE_ALIASES = {"Knative": SERVERLESS, "Standard": RAW}
AUTOSCALER_CLASSES = ("hpa", "keda", "external", "none")
KNATIVE_KPA = "kpa.autoscaling.knative.dev"
KNATIVE_HPA = "hpa.autoscaling.knative.dev"
KNATIVE_AUTOSCALER_CLASSES = (KNATIVE_KPA, KNATIVE_HPA)
# The autoscaler of a component, by the short names `autoscaler()` returns.
AUTOSCALER_NAMES = {
    "kpa": "Knative Pod Autoscaler (KPA)",
    "knative-hpa": "Knative HPA class",
    "hpa": "HorizontalPodAutoscaler",
    "keda": "KEDA autoscaler",
    "external": "external autoscaler",
    "none": "fixed replica count",
}


def normalise_mode(mode: str) -> str:
    """Serverless or RawDeployment for any accepted spelling; an unknown value comes back unchanged."""
    return _MODE_ALIASES.get(mode, mode)


def recorded_mode(obj: Mapping[str, Any] | None) -> str | None:
    """The mode the controller recorded in `status.deploymentMode` (as KServe does), normalised; None when unset or
    unknown. Once recorded it is the InferenceService's mode for good: a later change of the configured default
    does not move it."""
    status = (obj or {}).get("status")
    raw = status.get("deploymentMode") if isinstance(status, Mapping) else None
    mode = normalise_mode(raw) if isinstance(raw, str) else None
    return mode if mode in (SERVERLESS, RAW) else None


def deployment_mode(metadata: Mapping[str, Any], *, default: str) -> str | None:
    """The effective deployment mode (annotation, else `default`), normalised; None when the annotation is unknown."""
    values = metadata.get("annotations")
    raw = values.get(DEPLOYMENT_MODE) if isinstance(values, Mapping) else None
    mode = normalise_mode(raw if isinstance(raw, str) else default)
    return mode if mode in (SERVERLESS, RAW) else None


def autoscaler(metadata: Mapping[str, Any], *, mode: str | None) -> str | None:
    """kpa or knative-hpa (Serverless); hpa, keda, external or none (Raw); None when mode or class is unknown."""
    values = metadata.get("annotations")
    values = values if isinstance(values, Mapping) else {}
    if mode == SERVERLESS:
        knative = values.get(KNATIVE_AUTOSCALER_CLASS, KNATIVE_KPA)
        return {KNATIVE_KPA: "kpa", KNATIVE_HPA: "knative-hpa"}.get(knative)
    if mode == RAW:
        kserve = values.get(AUTOSCALER_CLASS, "hpa")
        return kserve if kserve in AUTOSCALER_CLASSES else None
    return None
