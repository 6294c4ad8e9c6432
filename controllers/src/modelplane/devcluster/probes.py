"""Readiness, liveness and startup probes: parsing a probe spec and the pure threshold bookkeeping.

A probe runs every `periodSeconds` after `initialDelaySeconds`; its verdict flips to healthy after
`successThreshold` successes in a row and to unhealthy after `failureThreshold` failures in a row. Readiness and
startup start unhealthy, liveness starts healthy, as in the kubelet. Running a probe is the I/O edge's job.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from modelplane.devcluster import errors

ACTIONS = ("httpGet", "tcpSocket", "exec", "grpc")


@dataclasses.dataclass(frozen=True)
class Probe:
    """One probe, its target resolved to a host and port number."""

    kind: str  # "readiness" | "liveness" | "startup"
    action: str  # one of ACTIONS
    host: str = ""
    port: int = 0
    path: str = "/"
    scheme: str = "HTTP"
    headers: tuple[tuple[str, str], ...] = ()
    command: tuple[str, ...] = ()
    initial_delay: float = 0.0
    period: float = 10.0
    timeout: float = 1.0
    success_threshold: int = 1
    failure_threshold: int = 3


@dataclasses.dataclass(frozen=True)
class State:
    """Where a probe stands: its verdict, the current run of equal results, and when it runs next."""

    healthy: bool
    successes: int
    failures: int
    next_at: float


def _port(value: Any, *, container: Mapping[str, Any], kind: str) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    for port in container.get("ports") or []:
        if port.get("name") == value:
            return int(port["containerPort"])
    raise errors.PlanError(
        f"container {container.get('name')!r}: {kind} probe names port {value!r}, which is not among its ports"
    )


def parse(spec: Mapping[str, Any], *, kind: str, container: Mapping[str, Any], pod_ip: str) -> Probe:
    """A probe from the container's `readinessProbe` / `livenessProbe` / `startupProbe`."""
    timing: Any = {
        "initial_delay": float(spec.get("initialDelaySeconds", 0)),
        "period": float(spec.get("periodSeconds", 10)),
        "timeout": float(spec.get("timeoutSeconds", 1)),
        "success_threshold": 1 if kind != "readiness" else int(spec.get("successThreshold", 1)),
        "failure_threshold": int(spec.get("failureThreshold", 3)),
    }
    if "httpGet" in spec:
        http = spec["httpGet"]
        headers = tuple((str(h["name"]), str(h["value"])) for h in http.get("httpHeaders") or [])
        return Probe(
            kind=kind,
            action="httpGet",
            host=str(http.get("host") or pod_ip),
            port=_port(http.get("port"), container=container, kind=kind),
            path=str(http.get("path") or "/"),
            scheme=str(http.get("scheme") or "HTTP").upper(),
            headers=headers,
            **timing,
        )
    if "tcpSocket" in spec:
        tcp = spec["tcpSocket"]
        return Probe(
            kind=kind,
            action="tcpSocket",
            host=str(tcp.get("host") or pod_ip),
            port=_port(tcp.get("port"), container=container, kind=kind),
            **timing,
        )
    if "exec" in spec:
        command = tuple(str(part) for part in spec["exec"].get("command") or [])
        if not command:
            raise errors.PlanError(f"container {container.get('name')!r}: {kind} probe exec has an empty command")
        return Probe(kind=kind, action="exec", command=command, **timing)
    if "grpc" in spec:
        return Probe(kind=kind, action="grpc", host=pod_ip, port=int(spec["grpc"]["port"]), **timing)
    raise errors.PlanError(
        f"container {container.get('name')!r}: {kind} probe has no action; use one of {', '.join(ACTIONS)}"
    )


def initial(probe: Probe, *, started_at: float) -> State:
    """The state right after the container started: liveness healthy, readiness and startup not yet."""
    return State(healthy=probe.kind == "liveness", successes=0, failures=0, next_at=started_at + probe.initial_delay)


def due(state: State, *, now: float) -> bool:
    """True when the probe should run now."""
    return now >= state.next_at


def record(probe: Probe, state: State, *, ok: bool, now: float) -> State:
    """The state after one result: thresholds decide whether the verdict flips."""
    successes = state.successes + 1 if ok else 0
    failures = 0 if ok else state.failures + 1
    healthy = state.healthy
    if ok and successes >= probe.success_threshold:
        healthy = True
    if not ok and failures >= probe.failure_threshold:
        healthy = False
    return State(healthy=healthy, successes=successes, failures=failures, next_at=now + probe.period)
