"""Tests of how a reconcile copes with its cache lagging behind its own status patches: a cached status that one of
our patches replaced is swapped for the status we wrote last (also across several patches), and the bookkeeping
ends once the cache shows it or someone else changed the status.
"""

from __future__ import annotations

from typing import Any

import kubernetes
from modelplane.operator import clients, reconciling
from modelplane.reconcile.config import Config

A = {"conditions": [{"type": "Ready", "status": "False"}]}
B = {"conditions": [{"type": "Ready", "status": "False"}], "url": "http://iris-m.example.com"}
C = {"conditions": [{"type": "Ready", "status": "True"}], "url": "http://iris-m.example.com"}
KEY = ("m", "iris")


def state() -> reconciling.State:
    return reconciling.State(cluster=clients.Cluster(kubernetes.client.ApiClient()), config=Config())


def cached(status: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"namespace": "m", "name": "iris"}, "spec": {}, "status": status}


def test_nothing_written_means_the_cache_is_used() -> None:
    assert reconciling.fresh(state(), cached(A)) == cached(A)


def test_stale_cache_gets_the_status_we_wrote() -> None:
    s = state()
    reconciling.remember(s, key=KEY, before=A, after=B)
    assert reconciling.fresh(s, cached(A))["status"] == B
    reconciling.remember(s, key=KEY, before=B, after=C)
    assert reconciling.fresh(s, cached(A))["status"] == C
    assert reconciling.fresh(s, cached(B))["status"] == C


def test_bookkeeping_ends_when_the_cache_catches_up_or_someone_else_writes() -> None:
    s = state()
    reconciling.remember(s, key=KEY, before=A, after=B)
    assert reconciling.fresh(s, cached(B))["status"] == B
    assert KEY not in s.written
    reconciling.remember(s, key=KEY, before=A, after=B)
    other = {"conditions": [{"type": "Ready", "status": "Unknown"}]}
    assert reconciling.fresh(s, cached(other))["status"] == other
    assert KEY not in s.written
