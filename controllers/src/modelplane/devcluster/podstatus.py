"""A pod's status as the kubelet reports it: phase, conditions, pod IP and one status per container.

The supervisor keeps a `ContainerState` per container; `build` turns them into the `status` the process node
patches through `pods/status`, and `phase` applies the kubelet's rules (Pending until every container has started,
Succeeded or Failed once every container has exited for good).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

WAITING = "waiting"
RUNNING = "running"
TERMINATED = "terminated"


@dataclasses.dataclass(frozen=True)
class ContainerState:
    """What one container is doing now, and how its previous run ended."""

    name: str
    image: str
    state: str = WAITING
    reason: str = "ContainerCreating"
    message: str = ""
    started_at: str = ""
    finished_at: str = ""
    exit_code: int = 0
    pid: int = 0
    ready: bool = False
    started: bool = False
    restart_count: int = 0
    final: bool = False  # terminated and will not run again
    last: ContainerState | None = None


def _state_dict(state: ContainerState) -> dict[str, Any]:
    if state.state == RUNNING:
        return {RUNNING: {"startedAt": state.started_at}}
    if state.state == TERMINATED:
        body: dict[str, Any] = {
            "exitCode": state.exit_code,
            "reason": state.reason or ("Completed" if state.exit_code == 0 else "Error"),
            "startedAt": state.started_at or None,
            "finishedAt": state.finished_at,
            "containerID": f"process://{state.pid}",
        }
        if state.message:
            body["message"] = state.message
        return {TERMINATED: body}
    body = {"reason": state.reason}
    if state.message:
        body["message"] = state.message
    return {WAITING: body}


def container_status(state: ContainerState) -> dict[str, Any]:
    """One entry of `containerStatuses` / `initContainerStatuses`."""
    status: dict[str, Any] = {
        "name": state.name,
        "image": state.image,
        "imageID": f"process://{state.image}",
        "ready": state.ready,
        "started": state.started,
        "restartCount": state.restart_count,
        "state": _state_dict(state),
        "lastState": _state_dict(state.last) if state.last is not None else {},
    }
    if state.pid:
        status["containerID"] = f"process://{state.pid}"
    return status


def phase(*, init: Sequence[ContainerState], main: Sequence[ContainerState]) -> str:
    """Pending, Running, Succeeded or Failed, by the kubelet's rules."""
    if any(s.final and s.exit_code != 0 for s in init):
        return "Failed"
    if not all(s.final and s.exit_code == 0 for s in init):
        return "Pending"
    if main and all(s.final for s in main):
        return "Succeeded" if all(s.exit_code == 0 for s in main) else "Failed"
    if all(s.state != WAITING or s.restart_count > 0 or s.last is not None for s in main):
        return "Running"
    return "Pending"


def _condition(
    kind: str, value: bool, *, now: str, previous: Mapping[str, Mapping[str, Any]], reason: str = ""
) -> dict[str, Any]:
    status = "True" if value else "False"
    before = previous.get(kind) or {}
    since = before.get("lastTransitionTime") if before.get("status") == status else None
    condition: dict[str, Any] = {"type": kind, "status": status, "lastTransitionTime": since or now}
    # An explicit null removes a reason left from before when the patch is merged.
    condition["reason"] = reason if reason and not value else None
    return condition


def build(
    *,
    init: Sequence[ContainerState],
    main: Sequence[ContainerState],
    pod_ip: str,
    host_ip: str,
    start_time: str,
    now: str,
    message: str = "",
    previous_conditions: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The whole `status` of the pod. `message` (when set) explains why the pod cannot run; conditions whose
    status is unchanged from `previous_conditions` keep their transition time."""
    previous = {str(c.get("type")): c for c in previous_conditions}
    current = phase(init=init, main=main)
    initialized = all(s.final and s.exit_code == 0 for s in init)
    ready = initialized and bool(main) and all(s.ready for s in main) and current == "Running"
    status: dict[str, Any] = {
        "phase": current,
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "podIP": pod_ip,
        "podIPs": [{"ip": pod_ip}],
        "startTime": start_time,
        "conditions": [
            _condition(
                "PodReadyToStartContainers",
                not message,
                now=now,
                previous=previous,
                reason="CreateContainerConfigError",
            ),
            _condition("Initialized", initialized, now=now, previous=previous, reason="ContainersNotInitialized"),
            _condition("ContainersReady", ready, now=now, previous=previous, reason="ContainersNotReady"),
            _condition("Ready", ready, now=now, previous=previous, reason="ContainersNotReady"),
        ],
        "initContainerStatuses": [container_status(s) for s in init],
        "containerStatuses": [container_status(s) for s in main],
    }
    if message:
        status["message"] = message
        status["reason"] = "CreateContainerConfigError"
    return status
