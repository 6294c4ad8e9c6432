"""Restart decisions: whether a container that exited runs again, and after how long (crash-loop back-off).

The back-off doubles from `initial` up to `cap`, like the kubelet's (which uses 10 s to 5 min); the process node
starts shorter so a local loop recovers quickly. A container that ran for `reset_after` seconds starts over.
"""

from __future__ import annotations

import dataclasses

POLICIES = ("Always", "OnFailure", "Never")


@dataclasses.dataclass(frozen=True)
class Backoff:
    """Crash-loop back-off bounds in seconds."""

    initial: float = 1.0
    cap: float = 60.0
    reset_after: float = 600.0


def should_restart(policy: str, *, exit_code: int) -> bool:
    """True when a container that exited with `exit_code` runs again under the pod's restart policy."""
    if policy == "Always":
        return True
    if policy == "OnFailure":
        return exit_code != 0
    return False


def delay(backoff: Backoff, *, restarts: int, ran_for: float) -> float:
    """Seconds to wait before starting a container again that has been restarted `restarts` times so far."""
    if ran_for >= backoff.reset_after:
        return 0.0
    return float(min(backoff.cap, backoff.initial * 2 ** max(0, restarts)))
