"""Kubernetes Events on the objects the operator reconciles, posted through its own API connection.

Reconciles run on the operator's work queue rather than inside kopf's handlers, so kopf's event poster (which
needs a handler's context) is not available there; this posts `v1` Events the way kubectl shows them. A failure to
post is logged and otherwise ignored: an Event is a courtesy to the user, never a reason to fail a reconcile.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from modelplane.operator import clients
from modelplane.reconcile.plan import Event

LOG = logging.getLogger("modelplane.operator")
COMPONENT = "modelplane"
MESSAGE_LIMIT = 1024


def event_body(obj: Mapping[str, Any], event: Event, *, now: datetime.datetime, instance: str) -> dict[str, Any]:
    """The `v1` Event that tells about `event` on `obj`."""
    meta = obj["metadata"]
    stamp = now.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    involved = {
        "apiVersion": obj.get("apiVersion"),
        "kind": obj.get("kind"),
        "name": meta["name"],
        "namespace": meta.get("namespace"),
        "uid": meta.get("uid"),
    }
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"generateName": f"{meta['name']}.", "namespace": meta.get("namespace")},
        "involvedObject": {k: v for k, v in involved.items() if v},
        "type": event.type,
        "reason": event.reason,
        "message": event.message[:MESSAGE_LIMIT],
        "source": {"component": COMPONENT},
        "reportingComponent": COMPONENT,
        "reportingInstance": instance,
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "count": 1,
    }


def post(cluster: clients.Cluster, obj: Mapping[str, Any], events: Iterable[Event], *, instance: str) -> None:
    """Post each event on `obj` (in its namespace)."""
    now = datetime.datetime.now(tz=datetime.UTC)
    for event in events:
        body = event_body(obj, event, now=now, instance=instance)
        try:
            cluster.request(
                "POST", clients.path(api_version="v1", kind="Event", namespace=body["metadata"]["namespace"]), body=body
            )
        except clients.ApiError as exc:
            LOG.warning("could not post event %s on %s: %s", event.reason, obj["metadata"].get("name"), exc)
