"""Leader election on a `coordination.k8s.io/v1` Lease: one replica reconciles, every replica serves the webhook.

kopf's own peering is not leader election: operators of the same priority all pause, and there is no lock between
them, so it cannot pick one of three equal replicas. This follows client-go's leader election instead. The leader
renews the Lease every `retry_period`; it stops reconciling when it could not renew for `renew_deadline`. A
follower takes the Lease over once it has seen the same record unchanged for `duration` seconds by its own clock
(so clocks that disagree between machines do not matter), or at once when the holder released it. A leader that
stops cleanly releases the Lease (no holder, duration 1 s), so hand-over takes one retry period, not a full
duration. Writes carry the Lease's resourceVersion, so two followers racing for it cannot both win.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from modelplane.operator import clients

LOG = logging.getLogger("modelplane.operator")
LEASE_API = "coordination.k8s.io/v1"


@dataclasses.dataclass(frozen=True)
class Election:
    """Which Lease to hold, who we are, and the timings (client-go's defaults)."""

    name: str
    namespace: str
    identity: str
    duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0

    def __post_init__(self) -> None:
        if not 0 < self.retry_period < self.renew_deadline < self.duration:
            raise ValueError(
                "leader election needs 0 < retry period < renew deadline < lease duration, got "
                f"{self.retry_period}, {self.renew_deadline}, {self.duration}"
            )


def micro_time(moment: datetime.datetime) -> str:
    """A Kubernetes MicroTime (RFC 3339 with microseconds, UTC)."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def lease_spec(
    election: Election, *, holder: str | None, previous: Mapping[str, Any], now: datetime.datetime
) -> dict[str, Any]:
    """The Lease spec that records `holder` (None: released), keeping the acquire time while the holder stays."""
    same = holder is not None and previous.get("holderIdentity") == holder
    transitions = int(previous.get("leaseTransitions") or 0)
    spec: dict[str, Any] = {
        "leaseDurationSeconds": int(election.duration) if holder is not None else 1,
        "renewTime": micro_time(now),
        "acquireTime": previous.get("acquireTime") if same and previous.get("acquireTime") else micro_time(now),
        "leaseTransitions": transitions if same or holder is None else transitions + 1,
    }
    if holder is not None:
        spec["holderIdentity"] = holder
    return spec


def may_take(spec: Mapping[str, Any], *, identity: str, unchanged_for: float) -> bool:
    """Whether `identity` may write itself into a Lease whose record has looked the same for `unchanged_for` s."""
    holder = spec.get("holderIdentity") or ""
    if holder in ("", identity):
        return True
    return unchanged_for > float(spec.get("leaseDurationSeconds") or 0)


class Elector:
    """Keeps trying to hold the Lease; calls `on_started` when this replica becomes leader, `on_stopped` when not."""

    def __init__(
        self,
        cluster: clients.Cluster,
        election: Election,
        *,
        on_started: Callable[[], None],
        on_stopped: Callable[[], None],
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(tz=datetime.UTC),
    ) -> None:
        self.cluster = cluster
        self.election = election
        self._on_started = on_started
        self._on_stopped = on_stopped
        self._clock = clock
        self._wall = wall
        self.leading = False
        self._renewed_at = 0.0
        self._record: tuple[Any, ...] | None = None
        self._record_since = 0.0
        self._complained = ""

    @property
    def path(self) -> str:
        return clients.path(
            api_version=LEASE_API, kind="Lease", namespace=self.election.namespace, name=self.election.name
        )

    async def run(self) -> None:
        """Try every retry period until cancelled."""
        while True:
            await self.step()
            await asyncio.sleep(self.election.retry_period)

    async def step(self) -> None:
        """One round: read the Lease, then renew it, take it, or wait."""
        try:
            lease = await asyncio.to_thread(self.cluster.get, self.path)
            if lease is None:
                await self._write(None)
                return
            spec = lease.get("spec") or {}
            self._observe(spec)
            holder = spec.get("holderIdentity") or ""
            if holder == self.election.identity or may_take(
                spec, identity=self.election.identity, unchanged_for=self._clock() - self._record_since
            ):
                await self._write(lease)
            elif self.leading:
                self._stop(f"the Lease is now held by {holder}")
        except clients.ApiError as exc:
            self._complain(exc)
            if self.leading and self._clock() - self._renewed_at > self.election.renew_deadline:
                self._stop(f"the Lease could not be renewed for {self.election.renew_deadline:.0f} s: {exc}")

    async def release(self) -> None:
        """Give the Lease up (when leading), so another replica takes over within one retry period."""
        if not self.leading:
            return
        self._stop("shutting down")
        try:
            lease = await asyncio.to_thread(self.cluster.get, self.path)
            if lease is not None and (lease.get("spec") or {}).get("holderIdentity") == self.election.identity:
                body = self._body(lease, holder=None)
                await asyncio.to_thread(self.cluster.request, "PUT", self.path, body=body)
                LOG.info("released Lease %s/%s", self.election.namespace, self.election.name)
        except clients.ApiError as exc:
            LOG.warning("could not release Lease %s/%s: %s", self.election.namespace, self.election.name, exc)

    def _body(self, lease: Mapping[str, Any] | None, *, holder: str | None) -> dict[str, Any]:
        metadata: dict[str, Any] = {"name": self.election.name, "namespace": self.election.namespace}
        if lease is not None:
            metadata["resourceVersion"] = lease["metadata"]["resourceVersion"]
        previous = (lease or {}).get("spec") or {}
        return {
            "apiVersion": LEASE_API,
            "kind": "Lease",
            "metadata": metadata,
            "spec": lease_spec(self.election, holder=holder, previous=previous, now=self._wall()),
        }

    async def _write(self, lease: Mapping[str, Any] | None) -> None:
        body = self._body(lease, holder=self.election.identity)
        method, path = ("PUT", self.path) if lease is not None else ("POST", self.path.rsplit("/", 1)[0])
        try:
            await asyncio.to_thread(self.cluster.request, method, path, body=body)
        except clients.ApiError as exc:
            if exc.status == 409:  # another replica wrote first; read again next round
                if self.leading:
                    self._stop("another replica took the Lease")
                return
            raise
        self._renewed_at = self._clock()
        self._complained = ""
        if not self.leading:
            self.leading = True
            LOG.info(
                "leading: holding Lease %s/%s as %s",
                self.election.namespace,
                self.election.name,
                self.election.identity,
            )
            self._on_started()

    def _observe(self, spec: Mapping[str, Any]) -> None:
        record = (spec.get("holderIdentity"), spec.get("renewTime"), spec.get("leaseDurationSeconds"))
        if record != self._record:
            self._record = record
            self._record_since = self._clock()

    def _stop(self, why: str) -> None:
        if self.leading:
            self.leading = False
            LOG.warning("no longer leading (%s); reconciles stop, the webhook keeps serving", why)
            self._on_stopped()

    def _complain(self, exc: clients.ApiError) -> None:
        message = str(exc)
        if exc.status == 404:
            message = (
                f"namespace {self.election.namespace} does not exist, so Lease {self.election.name} cannot be "
                "created there; create the namespace or pass --controller-namespace"
            )
        if message != self._complained:  # say it once per distinct problem, not every retry period
            LOG.error("leader election: %s", message)
            self._complained = message
