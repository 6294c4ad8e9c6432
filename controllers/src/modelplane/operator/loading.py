"""Model loads and unloads on the replicas of a multi-model server through the V2 repository API, over HTTP.

`is_loaded` asks one replica whether it holds a model (`GET /v2/models/<m>/ready`); `perform` sends one load or
unload (`POST /v2/repository/models/<m>/load|unload`); `perform_all` sends several and collects each replica's
failure instead of stopping at the first, so one broken replica does not keep the others from getting the model.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterable

from modelplane.reconcile.plan import ModelLoad


class LoadError(Exception):
    """The model server refused or could not be reached; the message says which and why."""


def is_loaded(replica: str, *, model_name: str, timeout: float = 5.0) -> bool:
    """Whether the replica at `host:port` answers that `model_name` is ready (any failure means no)."""
    url = f"http://{replica}/v2/models/{model_name}/ready"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # a pod address from an EndpointSlice
            response.read()
            return bool(200 <= response.status < 300)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def perform(load: ModelLoad, *, timeout: float = 30.0) -> None:
    """Send one load or unload request; raise LoadError unless the server answers 2xx."""
    request = urllib.request.Request(  # noqa: S310 - the URL is built by the reconciler from a pod address
        load.url,
        data=json.dumps(load.body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")[:300]
        raise LoadError(f"{load.action} of {load.model_name} at {load.url} answered HTTP {exc.code}: {detail}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise LoadError(f"{load.action} of {load.model_name} at {load.url} failed: {exc}") from exc


def perform_all(loads: Iterable[ModelLoad], *, timeout: float = 30.0) -> dict[str, str]:
    """Send every request; the failure message of each replica (`host:port`) that did not answer 2xx."""
    failures: dict[str, str] = {}
    for load in loads:
        try:
            perform(load, timeout=timeout)
        except LoadError as exc:
            failures[load.replica or load.url] = str(exc)
    return failures
