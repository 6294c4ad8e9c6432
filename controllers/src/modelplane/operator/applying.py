"""The `apply` step: carry out a Plan with server-side apply, pruning and a status patch.

Each desired child is stamped with a hash of itself; a child whose observed copy carries the same hash is not sent
again, so reconciling an unchanged object makes no API write at all. Status is patched only when it differs from
what is stored.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from modelplane.operator import clients, observing
from modelplane.reconcile.observed import Observed, child_key
from modelplane.reconcile.plan import Plan

HASH_ANNOTATION = "serving.kserve.io/applied-hash"
OWNED_STATUS = ("url", "address", "components", "conditions", "modelStatus", "observedGeneration")


def stamped(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest with the hash of its own content in an annotation."""
    result = copy.deepcopy(dict(manifest))
    digest = hashlib.sha256(json.dumps(result, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:20]
    result["metadata"].setdefault("annotations", {})[HASH_ANNOTATION] = digest
    return result


def apply_children(cluster: clients.Cluster, *, plan: Plan, observed: Observed) -> tuple[list[dict[str, Any]], int]:
    """Apply what changed and prune what is no longer wanted; the children as they now stand, and the write count."""
    current: list[dict[str, Any]] = []
    writes = 0
    for child in plan.children:
        desired = stamped(child)
        api_version, kind, name = child_key(desired)
        seen = observed.child(api_version=api_version, kind=kind, name=name)
        seen_hash = ((seen or {}).get("metadata", {}).get("annotations") or {}).get(HASH_ANNOTATION)
        if seen is not None and seen_hash == desired["metadata"]["annotations"][HASH_ANNOTATION]:
            current.append(dict(seen))
            continue
        current.append(observing.slim_child(cluster.apply(desired)))
        writes += 1
    namespace = observed.isvc["metadata"]["namespace"]
    for api_version, kind, name in plan.prune:
        cluster.delete(clients.path(api_version=api_version, kind=kind, namespace=namespace, name=name))
        writes += 1
    return current, writes


def status_patch(
    *, old: Mapping[str, Any], new: Mapping[str, Any], owned: tuple[str, ...] = OWNED_STATUS
) -> dict[str, Any] | None:
    """The merge patch that turns the stored status fields in `owned` into `new` (None when nothing differs)."""
    patch: dict[str, Any] = {}
    for key in owned:
        if key in new and old.get(key) != new[key]:
            patch[key] = new[key]
        elif key not in new and key in old:
            patch[key] = None
    return patch or None


def patch_status(
    cluster: clients.Cluster,
    *,
    obj: Mapping[str, Any],
    status: Mapping[str, Any],
    owned: tuple[str, ...] = OWNED_STATUS,
) -> bool:
    """Patch the status subresource when it changed; whether a write happened."""
    patch = status_patch(old=obj.get("status") or {}, new=status, owned=owned)
    if patch is None:
        return False
    cluster.patch_status(obj, patch)
    return True
