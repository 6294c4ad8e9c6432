"""Locust users that call an InferenceService: `V1User` (`:predict`) and `V2User` (`/infer`).

Both are `FastHttpUser`s sharing one task. A user reads the run it belongs to from its class (`run_state`, a
`RunState` that `bind` attaches): the target, the request bytes, the profile and, in the open-loop mode, the
schedule of arrivals. Per request it records a `results.Sample` (segment, latency, lateness, success); a response
counts as a success only when it is HTTP 200 and a well-formed answer of its protocol.
"""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any, ClassVar

import gevent
import locust
from locust.contrib.fasthttp import FastHttpUser
from modelplane.loadtest import pacing, payloads, profiles, results, targets

#: How long an idle user waits before looking for work again (budget spent, profile not started or over).
IDLE_S = 0.05


@dataclasses.dataclass
class RunState:
    """What the users of one run share; `t0` is the perf-counter time of the profile's start."""

    target: targets.Target
    body: str
    profile: profiles.Profile
    budget: pacing.Budget
    schedule: pacing.Schedule | None
    t0: float
    samples: list[results.Sample] = dataclasses.field(default_factory=list)
    in_flight: int = 0
    #: Set when the run ends: requests cut off by the stop are not recorded as answers.
    closed: bool = False

    @property
    def headers(self) -> dict[str, str]:
        headers = {"content-type": "application/json"}
        if self.target.host_header:
            headers["host"] = self.target.host_header
        return headers


class InferenceUser(FastHttpUser):
    abstract = True
    wait_time = locust.constant(0)
    protocol: ClassVar[str]
    run_state: ClassVar[RunState]

    def _next(self) -> tuple[float, profiles.Segment] | None:
        """When the next request is due and its segment; None when there is nothing to send now."""
        state = self.run_state
        if state.schedule is not None:
            arrival = state.schedule.claim()
            if arrival is None:
                return None
            due = state.t0 + arrival.due_s
            delay = due - time.perf_counter()
            if delay > 0:
                gevent.sleep(delay)
            return due, arrival.segment
        now = time.perf_counter()
        segment = state.profile.at(now - state.t0)
        if segment is None or not state.budget.take():
            return None
        return now, segment

    @locust.task
    def infer(self) -> None:
        state = self.run_state
        found = self._next()
        if found is None:
            gevent.sleep(IDLE_S)
            return
        due, segment = found
        sent = time.perf_counter()
        state.in_flight += 1
        try:
            with self.client.post(
                state.target.path,
                data=state.body,
                headers=state.headers,
                name=f"{state.target.protocol} {state.target.model}",
                catch_response=True,
            ) as response:
                ok = response.status_code == 200 and payloads.answer_ok(
                    protocol=self.protocol, document=_json(response.content)
                )
                if not ok:
                    response.failure(f"HTTP {response.status_code}: {(response.content or b'')[:200]!r}")
        finally:
            state.in_flight -= 1
        done = time.perf_counter()
        if state.closed:
            return
        state.samples.append(
            results.Sample(
                segment=segment.index,
                latency_ms=(done - due) * 1000.0,
                lateness_ms=max(0.0, sent - due) * 1000.0,
                ok=ok,
            )
        )


class V1User(InferenceUser):
    """Sends the payload to `/v1/models/{model}:predict` and expects `predictions`."""

    abstract = True
    protocol = "v1"


class V2User(InferenceUser):
    """Sends the payload to `/v2/models/{model}/infer` and expects `outputs`."""

    abstract = True
    protocol = "v2"


def bind(state: RunState, *, timeout_s: float) -> type[InferenceUser]:
    """A concrete user class of the target's protocol that runs `state`."""
    base = V1User if state.target.protocol == "v1" else V2User
    return type(
        base.__name__,
        (base,),
        {
            "abstract": False,
            "run_state": state,
            "host": state.target.origin,
            "network_timeout": timeout_s,
            "connection_timeout": timeout_s,
            "concurrency": 1,
        },
    )


def _json(content: bytes | None) -> Any:
    try:
        return json.loads(content or b"")
    except ValueError:
        return None
