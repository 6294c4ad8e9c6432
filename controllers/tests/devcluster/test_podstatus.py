"""Covers devcluster.podstatus: phases by the kubelet's rules, conditions, container statuses, transition times."""

from __future__ import annotations

import pytest
from modelplane.devcluster import podstatus

S = podstatus.ContainerState
DONE = S(name="i", image="m", state=podstatus.TERMINATED, reason="Completed", exit_code=0, final=True)
FAILED_INIT = S(name="i", image="m", state=podstatus.TERMINATED, exit_code=1, final=True)
RUN = S(name="c", image="m", state=podstatus.RUNNING, started_at="t0", ready=True, started=True, pid=7)
WAIT = S(name="c", image="m")


@pytest.mark.parametrize(
    ("init", "main", "phase"),
    [
        pytest.param([], [WAIT], "Pending", id="not-started"),
        pytest.param([S(name="i", image="m", state=podstatus.RUNNING)], [WAIT], "Pending", id="initialising"),
        pytest.param([FAILED_INIT], [WAIT], "Failed", id="init-failed"),
        pytest.param([DONE], [RUN], "Running", id="running"),
        pytest.param([], [S(name="c", image="m", state=podstatus.TERMINATED, final=True)], "Succeeded", id="succeeded"),
        pytest.param(
            [],
            [RUN, S(name="d", image="m", state=podstatus.TERMINATED, exit_code=3, final=True)],
            "Running",
            id="one-still-running",
        ),
        pytest.param(
            [], [S(name="c", image="m", state=podstatus.TERMINATED, exit_code=3, final=True)], "Failed", id="failed"
        ),
        pytest.param(
            [], [S(name="c", image="m", reason="CrashLoopBackOff", restart_count=2)], "Running", id="crash-loop"
        ),
    ],
)
def test_phase(init, main, phase: str) -> None:
    assert podstatus.phase(init=init, main=main) == phase


def test_build_reports_ready_pod_with_ip_and_container_status() -> None:
    status = podstatus.build(
        init=[DONE], main=[RUN], pod_ip="198.18.0.3", host_ip="127.0.0.1", start_time="t0", now="t1"
    )
    assert status["phase"] == "Running"
    assert status["podIP"] == "198.18.0.3"
    assert status["podIPs"] == [{"ip": "198.18.0.3"}]
    conditions = {c["type"]: c for c in status["conditions"]}
    assert conditions["Ready"]["status"] == "True"
    assert conditions["Ready"]["reason"] is None
    assert conditions["Initialized"]["status"] == "True"
    (container,) = status["containerStatuses"]
    assert container["state"] == {"running": {"startedAt": "t0"}}
    assert container["containerID"] == "process://7"
    assert container["ready"] is True
    assert status["initContainerStatuses"][0]["state"]["terminated"]["reason"] == "Completed"


def test_not_ready_conditions_carry_a_reason_and_a_message_explains_config_errors() -> None:
    waiting = S(name="c", image="m", reason="CreateContainerConfigError", message="Secret 'x' not found")
    status = podstatus.build(
        init=[], main=[waiting], pod_ip="a", host_ip="b", start_time="t0", now="t1", message="Secret 'x' not found"
    )
    conditions = {c["type"]: c for c in status["conditions"]}
    assert conditions["Ready"] == {
        "type": "Ready",
        "status": "False",
        "lastTransitionTime": "t1",
        "reason": "ContainersNotReady",
    }
    assert status["message"] == "Secret 'x' not found"
    assert status["containerStatuses"][0]["state"]["waiting"]["message"] == "Secret 'x' not found"


def test_unchanged_conditions_keep_their_transition_time() -> None:
    previous = [
        {"type": "Ready", "status": "True", "lastTransitionTime": "t-old"},
        {"type": "Initialized", "status": "False", "lastTransitionTime": "t-old"},
    ]
    status = podstatus.build(
        init=[], main=[RUN], pod_ip="a", host_ip="b", start_time="t0", now="t-new", previous_conditions=previous
    )
    conditions = {c["type"]: c["lastTransitionTime"] for c in status["conditions"]}
    assert conditions["Ready"] == "t-old"
    assert conditions["Initialized"] == "t-new"


def test_restarted_container_reports_its_last_state() -> None:
    last = S(
        name="c",
        image="m",
        state=podstatus.TERMINATED,
        exit_code=137,
        reason="LivenessProbeFailed",
        finished_at="t2",
        pid=9,
    )
    state = S(name="c", image="m", reason="CrashLoopBackOff", restart_count=1, last=last)
    status = podstatus.container_status(state)
    assert status["lastState"]["terminated"]["reason"] == "LivenessProbeFailed"
    assert status["state"] == {"waiting": {"reason": "CrashLoopBackOff"}}
    assert status["restartCount"] == 1
