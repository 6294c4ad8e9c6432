"""Covers devcluster.restarts: restart policies and the doubling, capped, resettable back-off."""

from __future__ import annotations

import pytest
from modelplane.devcluster import restarts


@pytest.mark.parametrize(
    ("policy", "code", "expected"),
    [("Always", 0, True), ("Always", 1, True), ("OnFailure", 0, False), ("OnFailure", 2, True), ("Never", 1, False)],
)
def test_should_restart(policy: str, code: int, expected: bool) -> None:
    assert restarts.should_restart(policy, exit_code=code) is expected


def test_back_off_doubles_up_to_the_cap_and_resets_after_a_long_run() -> None:
    backoff = restarts.Backoff(initial=1, cap=10, reset_after=60)
    assert [restarts.delay(backoff, restarts=n, ran_for=1) for n in range(6)] == [1, 2, 4, 8, 10, 10]
    assert restarts.delay(backoff, restarts=5, ran_for=61) == 0
