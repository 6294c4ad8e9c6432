"""What the reconcilers see: a frozen snapshot of one resource and everything its reconcile depends on.

The operator's `observe` step fills it from the API server; tests fill it from dicts. Objects are plain JSON-like
dicts exactly as the API server returns them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

Manifest = Mapping[str, Any]


def child_key(manifest: Manifest) -> tuple[str, str, str]:
    """The identity of a child inside one namespace: (apiVersion, kind, name)."""
    return (str(manifest["apiVersion"]), str(manifest["kind"]), str(manifest["metadata"]["name"]))


@dataclasses.dataclass(frozen=True)
class Observed:
    """An InferenceService and what its reconcile reads besides it."""

    isvc: Manifest
    now: str
    runtimes: tuple[Manifest, ...] = ()
    cluster_runtimes: tuple[Manifest, ...] = ()
    children: tuple[Manifest, ...] = ()
    service_account: Manifest | None = None
    secrets: tuple[Manifest, ...] = ()

    def child(self, *, api_version: str, kind: str, name: str) -> Manifest | None:
        """The existing child with that identity, or None."""
        for manifest in self.children:
            if child_key(manifest) == (api_version, kind, name):
                return manifest
        return None


@dataclasses.dataclass(frozen=True)
class Replica:
    """One ready replica of a predictor (`host:port`), whether it holds the model, and why not when a load failed."""

    address: str
    loaded: bool = False
    error: str = ""


@dataclasses.dataclass(frozen=True)
class ObservedTrainedModel:
    """A TrainedModel, its parent InferenceService (None when missing), its siblings on the same parent, and the
    ready replicas of the parent's predictor with whether each already holds the model."""

    trained_model: Manifest
    now: str
    parent: Manifest | None = None
    siblings: tuple[Manifest, ...] = ()
    runtimes: tuple[Manifest, ...] = ()
    cluster_runtimes: tuple[Manifest, ...] = ()
    replicas: tuple[Replica, ...] = ()
    #: Why the replicas could not be found at all (empty when they could).
    replicas_error: str = ""
