"""The `apply` step: carry out a Plan with server-side apply, pruning and a status patch.

Each desired child is stamped with a hash of itself. A child whose cached copy carries the same hash, and the same
content digest our last apply of it returned, is not sent again, so reconciling an unchanged object makes no API
call at all; a child someone edited (its digest moved) or deleted is applied again, which puts it back. Status is
patched only when it differs from what is stored.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import logging
from collections.abc import Mapping
from typing import Any

from modelplane.operator import clients, observing
from modelplane.reconcile.observed import Observed, child_key
from modelplane.reconcile.plan import Plan

LOG = logging.getLogger("modelplane.operator")

HASH_ANNOTATION = "serving.kserve.io/applied-hash"
OWNED_STATUS = (
    "url",
    "address",
    "components",
    "conditions",
    "modelStatus",
    "observedGeneration",
    "deploymentMode",
)


def stamped(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest with the hash of its own content in an annotation."""
    result = copy.deepcopy(dict(manifest))
    digest = hashlib.sha256(json.dumps(result, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:20]
    result["metadata"].setdefault("annotations", {})[HASH_ANNOTATION] = digest
    return result


@dataclasses.dataclass(frozen=True)
class Applied:
    """What our last apply of one child returned: the desired hash sent, the content digest and resourceVersion."""

    hash: str
    digest: str
    resource_version: str


#: (namespace, apiVersion, kind, name) -> what our last apply of that child returned.
AppliedBook = dict[tuple[str, str, str, str], Applied]


@dataclasses.dataclass
class Outcome:
    """The children as they now stand, how many were written for a change of the InferenceService, and which were
    put back after someone else changed or deleted them."""

    current: list[dict[str, Any]]
    writes: int
    repaired: list[tuple[str, str]]


def _hash_of(manifest: Mapping[str, Any] | None) -> str | None:
    return ((manifest or {}).get("metadata", {}).get("annotations") or {}).get(HASH_ANNOTATION)


def apply_children(cluster: clients.Cluster, *, plan: Plan, observed: Observed, book: AppliedBook) -> Outcome:
    """Apply what changed or drifted and prune what is no longer wanted.

    A child is left alone only when its cached copy carries the desired hash *and* the content digest our last
    apply returned; otherwise it is applied. Server-side apply of an unchanged child writes nothing, so a child we
    know nothing about (after a restart or a leader change) costs one request and no write. `book` remembers each
    apply's result across reconciles."""
    namespace = observed.isvc["metadata"]["namespace"]
    outcome = Outcome(current=[], writes=0, repaired=[])
    for child in plan.children:
        desired = stamped(child)
        api_version, kind, name = child_key(desired)
        key = (namespace, api_version, kind, name)
        wanted = desired["metadata"]["annotations"][HASH_ANNOTATION]
        seen = observed.child(api_version=api_version, kind=kind, name=name)
        known = book.get(key)
        if (
            seen is not None
            and _hash_of(seen) == wanted
            and known is not None
            and seen.get(observing.DIGEST) == known.digest
        ):
            outcome.current.append(dict(seen))
            continue
        LOG.debug(
            "applying %s %s/%s: %s",
            kind,
            namespace,
            name,
            "new"
            if seen is None
            else "changed"
            if _hash_of(seen) != wanted
            else "not applied by this replica yet"
            if known is None
            else "content differs from our last apply",
        )
        result = cluster.apply(desired)
        version = str((result.get("metadata") or {}).get("resourceVersion", ""))
        book[key] = Applied(hash=wanted, digest=observing.content_digest(result), resource_version=version)
        outcome.current.append(observing.slim_child(result))
        seen_version = ((seen or {}).get("metadata") or {}).get("resourceVersion")
        if version in (seen_version, known.resource_version if known else None):
            continue  # the apply changed nothing: the cache was behind, or nobody had touched the child
        if _hash_of(seen) == wanted or (known is not None and known.hash == wanted):
            outcome.repaired.append((kind, name))
        else:
            outcome.writes += 1
    for api_version, kind, name in plan.prune:
        cluster.delete(clients.path(api_version=api_version, kind=kind, namespace=namespace, name=name))
        book.pop((namespace, api_version, kind, name), None)
        outcome.writes += 1
    return outcome


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
