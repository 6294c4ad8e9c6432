"""Domain errors of the reconcilers: plain exceptions that say what is wrong and how to fix it."""

from __future__ import annotations


class ReconcileError(Exception):
    """Base of every error the pure reconcilers raise."""


class ConfigError(ReconcileError):
    """The `inferenceservice-config` ConfigMap holds a value the controller cannot use."""


class NoRuntimeError(ReconcileError):
    """No serving runtime fits a predictor; `reason` is the status condition reason."""

    def __init__(self, message: str, *, reason: str = "NoSupportingRuntime") -> None:
        super().__init__(message)
        self.reason = reason


class InvalidSpecError(ReconcileError):
    """The InferenceService asks for something the reconciler cannot build (the webhook normally stops it first)."""
