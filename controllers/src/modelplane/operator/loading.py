"""Model loads and unloads on a running multi-model server through the V2 repository API (HTTP POST)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from modelplane.reconcile.plan import ModelLoad


class LoadError(Exception):
    """The model server refused or could not be reached; the message says which and why."""


def perform(load: ModelLoad, *, timeout: float = 30.0) -> None:
    """Send one load or unload request; raise LoadError unless the server answers 2xx."""
    request = urllib.request.Request(  # noqa: S310 - the URL is built by the reconciler from a cluster-local host
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
