"""Tests of the operator's metrics: reconciles counted by kind and result with their durations, the queue and
leadership read at each scrape, admission verdicts, and the text served at /metrics by a real HTTP server."""

from __future__ import annotations

import asyncio
import socket
import urllib.request

from modelplane.operator import metrics
from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_reconciles_queue_leadership_and_admissions_are_counted() -> None:
    m = metrics.Metrics()
    state = {"waiting": 3, "running": 2, "leading": True}
    m.follow(waiting=lambda: state["waiting"], running=lambda: state["running"], leading=lambda: state["leading"])
    m.reconciled("isvc", seconds=0.02, ok=True)
    m.reconciled("isvc", seconds=0.3, ok=False)
    m.reconciled("tm", seconds=0.001, ok=True)
    m.admitted("InferenceService", allowed=True)
    m.admitted("InferenceService", allowed=False)
    m.admitted("InferenceService", allowed=False)
    got = samples(m.render().decode())
    assert got[("modelplane_controller_reconcile_total", (("kind", "InferenceService"), ("result", "success")))] == 1
    assert got[("modelplane_controller_reconcile_total", (("kind", "InferenceService"), ("result", "error")))] == 1
    assert got[("modelplane_controller_reconcile_total", (("kind", "TrainedModel"), ("result", "success")))] == 1
    assert got[("modelplane_controller_reconcile_time_seconds_count", (("kind", "InferenceService"),))] == 2
    assert got[("modelplane_controller_reconcile_time_seconds_sum", (("kind", "InferenceService"),))] == 0.32
    assert (
        got[("modelplane_controller_reconcile_time_seconds_bucket", (("kind", "InferenceService"), ("le", "0.025")))]
        == 1
    )
    assert got[("modelplane_workqueue_depth", ())] == 3
    assert got[("modelplane_workqueue_running", ())] == 2
    assert got[("modelplane_controller_leader", ())] == 1
    assert got[("modelplane_webhook_admission_total", (("allowed", "false"), ("kind", "InferenceService")))] == 2
    state.update(waiting=0, leading=False)
    got = samples(m.render().decode())
    assert got[("modelplane_workqueue_depth", ())] == 0
    assert got[("modelplane_controller_leader", ())] == 0


def test_two_operators_in_one_process_keep_their_own_counts() -> None:
    first, second = metrics.Metrics(), metrics.Metrics()
    first.reconciled("isvc", seconds=0.1, ok=True)
    assert ("modelplane_controller_reconcile_total", (("kind", "InferenceService"), ("result", "success"))) not in (
        samples(second.render().decode())
    )


def test_metrics_are_served_over_http() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    m = metrics.Metrics()
    m.reconciled("isvc", seconds=0.05, ok=True)

    async def scenario() -> tuple[str, str]:
        runner = await metrics.serve(m, addr="127.0.0.1", port=port)
        try:

            def fetch() -> tuple[str, str]:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
                    return answer.headers["Content-Type"], answer.read().decode()

            return await asyncio.get_running_loop().run_in_executor(None, fetch)
        finally:
            await runner.cleanup()

    content_type, text = asyncio.run(scenario())
    assert content_type.startswith("text/plain")
    assert 'modelplane_controller_reconcile_total{kind="InferenceService",result="success"} 1.0' in text
