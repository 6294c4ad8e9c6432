"""The operator's own Prometheus metrics, served as text at `/metrics` on the metrics port.

What an admin watches a controller by: reconciles by kind and result and how long each took, the work queue's
waiting and running keys, admission reviews by kind and verdict, and whether this replica leads. The chart's
ServiceMonitor scrapes them and its Grafana dashboard plots them. prometheus_client keeps the samples; each
operator process has its own registry, so tests and several operators in one process never mix their counts.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

#: Work-queue key kinds (controlling.py) -> the `kind` label.
KINDS = {"isvc": "InferenceService", "tm": "TrainedModel", "unload": "TrainedModelUnload"}
#: Reconcile durations: a steady-state reconcile takes milliseconds, a first one with four applies tens to hundreds.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """The operator's metrics in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.reconciles = Counter(
            "modelplane_controller_reconcile",
            "Reconciles run, by kind of object and result (success or error; an error is retried with backoff).",
            ["kind", "result"],
            registry=self.registry,
        )
        self.reconcile_seconds = Histogram(
            "modelplane_controller_reconcile_time_seconds",
            "How long each reconcile took, by kind of object.",
            ["kind"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.waiting = Gauge(
            "modelplane_workqueue_depth", "Keys waiting in the work queue (due now or later).", registry=self.registry
        )
        self.running = Gauge("modelplane_workqueue_running", "Reconciles running now.", registry=self.registry)
        self.leader = Gauge(
            "modelplane_controller_leader", "1 while this replica holds the Lease and reconciles, else 0.",
            registry=self.registry,
        )  # fmt: skip
        self.admissions = Counter(
            "modelplane_webhook_admission",
            "Admission reviews answered by the validating webhook, by kind of object and whether it was allowed.",
            ["kind", "allowed"],
            registry=self.registry,
        )

    def follow(self, *, waiting: Callable[[], int], running: Callable[[], int], leading: Callable[[], bool]) -> None:
        """Read the queue's and the election's state at each scrape."""
        self.waiting.set_function(lambda: float(waiting()))
        self.running.set_function(lambda: float(running()))
        self.leader.set_function(lambda: 1.0 if leading() else 0.0)

    def reconciled(self, key_kind: str, *, seconds: float, ok: bool) -> None:
        """Count one reconcile of a work-queue key of kind `key_kind` and how long it took."""
        kind = KINDS.get(key_kind, key_kind)
        self.reconciles.labels(kind=kind, result="success" if ok else "error").inc()
        self.reconcile_seconds.labels(kind=kind).observe(seconds)

    def admitted(self, kind: str, *, allowed: bool) -> None:
        """Count one admission review of an object of `kind`."""
        self.admissions.labels(kind=kind, allowed="true" if allowed else "false").inc()

    def render(self) -> bytes:
        """The samples in Prometheus' text format."""
        return generate_latest(self.registry)


async def serve(metrics: Metrics, *, addr: str, port: int) -> web.AppRunner:
    """Serve `GET /metrics` on addr:port until the returned runner is cleaned up."""

    async def scrape(_: web.Request) -> web.Response:
        return web.Response(body=metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/metrics", scrape)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, addr, port).start()
    return runner
