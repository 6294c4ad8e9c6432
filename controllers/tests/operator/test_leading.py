"""Tests of leader election on a Lease.

Unit: the Lease spec a holder writes (acquire time kept while the holder stays, transitions counted on a change of
holder, a release leaves no holder and a 1 s duration); who may take a Lease (a free or own one at once, another
holder's only after its duration has passed unchanged by our clock); timings that cannot work are refused.
Cluster (marker `cluster`, real API server): of two electors on one Lease exactly one leads; a clean release hands
over within a retry period; a leader that stops renewing without releasing is replaced after the lease duration.
"""

from __future__ import annotations

import asyncio
import datetime
import time
import uuid
from collections.abc import Awaitable, Callable

import pytest
from modelplane.operator import clients, leading

NOW = datetime.datetime(2026, 12, 1, 10, 0, 0, 123456, tzinfo=datetime.UTC)
ELECTION = leading.Election(name="modelplane-controller", namespace="modelplane-system", identity="pod-a_1")


def test_new_holder_starts_its_term() -> None:
    spec = leading.lease_spec(
        ELECTION, holder="pod-a_1", previous={"holderIdentity": "pod-b_2", "leaseTransitions": 3}, now=NOW
    )
    assert spec == {
        "holderIdentity": "pod-a_1",
        "leaseDurationSeconds": 15,
        "acquireTime": "2026-12-01T10:00:00.123456Z",
        "renewTime": "2026-12-01T10:00:00.123456Z",
        "leaseTransitions": 4,
    }


def test_renewal_keeps_acquire_time_and_transitions() -> None:
    previous = {"holderIdentity": "pod-a_1", "acquireTime": "2026-12-01T09:00:00.000000Z", "leaseTransitions": 4}
    spec = leading.lease_spec(ELECTION, holder="pod-a_1", previous=previous, now=NOW)
    assert spec["acquireTime"] == "2026-12-01T09:00:00.000000Z"
    assert spec["renewTime"] == "2026-12-01T10:00:00.123456Z"
    assert spec["leaseTransitions"] == 4


def test_release_leaves_no_holder_and_a_short_duration() -> None:
    spec = leading.lease_spec(ELECTION, holder=None, previous={"holderIdentity": "pod-a_1"}, now=NOW)
    assert "holderIdentity" not in spec
    assert spec["leaseDurationSeconds"] == 1


@pytest.mark.parametrize(
    ("spec", "unchanged_for", "allowed"),
    [
        ({}, 0.0, True),
        ({"holderIdentity": "pod-a_1", "leaseDurationSeconds": 15}, 0.0, True),
        ({"holderIdentity": "pod-b_2", "leaseDurationSeconds": 15}, 14.0, False),
        ({"holderIdentity": "pod-b_2", "leaseDurationSeconds": 15}, 15.5, True),
    ],
    ids=["free", "own", "held-and-fresh", "held-but-expired"],
)
def test_who_may_take_the_lease(spec: dict[str, object], unchanged_for: float, allowed: bool) -> None:
    assert leading.may_take(spec, identity="pod-a_1", unchanged_for=unchanged_for) is allowed


def test_timings_that_cannot_work_are_refused() -> None:
    with pytest.raises(ValueError, match="retry period < renew deadline < lease duration"):
        leading.Election(name="l", namespace="n", identity="i", duration=10, renew_deadline=10, retry_period=2)


def _elector(cluster: clients.Cluster, *, name: str, namespace: str, identity: str, log: list[str]) -> leading.Elector:
    election = leading.Election(
        name=name, namespace=namespace, identity=identity, duration=3.0, renew_deadline=2.0, retry_period=0.2
    )
    return leading.Elector(
        cluster,
        election,
        on_started=lambda: log.append(f"{identity} leads"),
        on_stopped=lambda: log.append(f"{identity} stops"),
    )


async def _until(what: str, probe: Callable[[], bool], *, timeout: float) -> float:
    start = time.monotonic()
    while not probe():
        if time.monotonic() - start > timeout:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)
    return time.monotonic() - start


def _scenario(body: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(body(), timeout=60))


@pytest.mark.cluster
def test_one_leads_and_a_release_hands_over_at_once(system_namespace: str) -> None:
    cluster = clients.Cluster.connect()
    name = f"election-{uuid.uuid4().hex[:6]}"
    log: list[str] = []
    a = _elector(cluster, name=name, namespace=system_namespace, identity="a", log=log)
    b = _elector(cluster, name=name, namespace=system_namespace, identity="b", log=log)

    async def body() -> None:
        task_a = asyncio.create_task(a.run())
        await _until("a to lead", lambda: a.leading, timeout=5)
        task_b = asyncio.create_task(b.run())
        await asyncio.sleep(4.0)  # longer than the lease duration: a renews, so b must not take over
        assert (a.leading, b.leading) == (True, False)
        lease = cluster.get(b.path) or {}
        assert lease["spec"]["holderIdentity"] == "a"
        task_a.cancel()
        await a.release()
        waited = await _until("b to take over", lambda: b.leading, timeout=5)
        assert waited < 1.0, f"a released the Lease, yet b needed {waited:.1f} s"
        task_b.cancel()
        await b.release()

    _scenario(body)
    assert log == ["a leads", "a stops", "b leads", "b stops"]


@pytest.mark.cluster
def test_a_leader_that_stops_renewing_is_replaced_after_the_duration(system_namespace: str) -> None:
    cluster = clients.Cluster.connect()
    name = f"election-{uuid.uuid4().hex[:6]}"
    log: list[str] = []
    a = _elector(cluster, name=name, namespace=system_namespace, identity="a", log=log)
    b = _elector(cluster, name=name, namespace=system_namespace, identity="b", log=log)

    async def body() -> None:
        task_a = asyncio.create_task(a.run())
        await _until("a to lead", lambda: a.leading, timeout=5)
        task_a.cancel()  # a hangs or dies: no release
        task_b = asyncio.create_task(b.run())
        waited = await _until("b to take over", lambda: b.leading, timeout=10)
        assert waited >= 3.0, f"b took a live-looking Lease after {waited:.1f} s, before its 3 s duration"
        task_b.cancel()
        await b.release()

    _scenario(body)
    assert log == ["a leads", "b leads", "b stops"]
