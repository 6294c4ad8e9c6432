"""What a reconcile decides: desired children, children to remove, status, events and when to look again.

A `Plan` is a plain value; the operator's `apply` step carries it out (server-side apply of `children`, deletion of
`prune`, a status patch, events) and the tests compare it with golden files.
"""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True)
class Event:
    """One decision worth telling the user about, posted as a Kubernetes Event on the reconciled object."""

    type: str
    reason: str
    message: str


@dataclasses.dataclass(frozen=True)
class ModelLoad:
    """A request to load (or unload) a model into a running multi-model server through the V2 repository API."""

    url: str
    action: str
    model_name: str
    body: dict[str, Any]
    #: The replica (`host:port`) the request goes to.
    replica: str = ""


@dataclasses.dataclass(frozen=True)
class Plan:
    """The outcome of one reconcile."""

    children: tuple[dict[str, Any], ...] = ()
    prune: tuple[tuple[str, str, str], ...] = ()
    status: dict[str, Any] = dataclasses.field(default_factory=dict)
    events: tuple[Event, ...] = ()
    requeue_after: float | None = None
    model_loads: tuple[ModelLoad, ...] = ()
