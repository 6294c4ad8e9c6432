"""What validation and defaulting need from the controller's configuration, as a small structural interface.

The operator parses the `inferenceservice-config` ConfigMap into its own config object; any object with these
attributes works here, so the API package stays independent of how and where the configuration is read.
"""

from __future__ import annotations

import dataclasses
from typing import Protocol


class Settings(Protocol):
    """The configuration values the API rules read."""

    @property
    def default_deployment_mode(self) -> str:
        """Serverless or RawDeployment (KServe's newer Knative / Standard are accepted too)."""
        ...

    @property
    def batcher_default_max_batch_size(self) -> int:
        """maxBatchSize given to a batcher that sets none."""
        ...

    @property
    def batcher_default_max_latency_ms(self) -> int:
        """maxLatency (milliseconds) given to a batcher that sets none."""
        ...


@dataclasses.dataclass(frozen=True)
class Defaults:
    """KServe's defaults, for callers without a controller configuration (the CLI, tests)."""

    default_deployment_mode: str = "Serverless"
    batcher_default_max_batch_size: int = 32
    batcher_default_max_latency_ms: int = 500
