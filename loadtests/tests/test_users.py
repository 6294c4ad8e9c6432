"""Covers users: binding a run to a V1 or V2 FastHttpUser class (host, timeouts, protocol) and the headers sent."""

from __future__ import annotations

import pytest
from modelplane.loadtest import pacing, profiles, targets, users


def _state(protocol: str, host_header: str | None = None) -> users.RunState:
    target = targets.parse(url="http://127.0.0.1:8080", model="m", protocol=protocol, host_header=host_header)
    profile = profiles.step(levels=[1], step_s=1)
    return users.RunState(
        target=target, body="{}", profile=profile, budget=pacing.Budget(limit=1), schedule=None, t0=0.0
    )


@pytest.mark.parametrize(("protocol", "base"), [("v1", users.V1User), ("v2", users.V2User)])
def test_bind_makes_a_concrete_user_of_the_protocol(protocol: str, base: type[users.InferenceUser]) -> None:
    state = _state(protocol)
    bound = users.bind(state, timeout_s=3.0)
    assert issubclass(bound, base)
    assert bound.abstract is False
    assert bound.protocol == protocol
    assert bound.host == "http://127.0.0.1:8080"
    assert (bound.network_timeout, bound.connection_timeout) == (3.0, 3.0)
    assert bound.run_state is state


def test_headers_carry_the_host_header_for_an_ingress() -> None:
    assert _state("v1").headers == {"content-type": "application/json"}
    assert _state("v1", "iris.default.example.com").headers["host"] == "iris.default.example.com"
