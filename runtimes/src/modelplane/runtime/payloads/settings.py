"""Settings of the payload logger: where events go, which ones, and how hard to try.

Validated once when the server starts, so a misspelt mode or a sink URL without a scheme is a clear error at start-up
rather than a stream of failed deliveries later. Pure: no I/O, no framework.
"""

from __future__ import annotations

import dataclasses
import enum
import urllib.parse


class LoggerSettingsError(ValueError):
    """The payload logger's configuration is invalid; the message names the setting and how to fix it."""


class LoggerMode(enum.Enum):
    """Which payloads are logged, as KServe's `logger.mode`: both, only requests, or only responses."""

    ALL = "all"
    REQUEST = "request"
    RESPONSE = "response"

    @classmethod
    def parse(cls, text: str) -> LoggerMode:
        """Read a mode as the command line and the InferenceService spell it (`all`, `request`, `response`)."""
        try:
            return cls(text.strip().lower())
        except ValueError:
            allowed = ", ".join(mode.value for mode in cls)
            raise LoggerSettingsError(f"logger mode {text!r} is not one of {allowed}; pick one of those") from None

    @property
    def logs_requests(self) -> bool:
        return self in (LoggerMode.ALL, LoggerMode.REQUEST)

    @property
    def logs_responses(self) -> bool:
        return self in (LoggerMode.ALL, LoggerMode.RESPONSE)


@dataclasses.dataclass(frozen=True, kw_only=True)
class LoggerSettings:
    """Everything the payload logger needs; defaults follow KServe's logger (5 workers, a queue of 100).

    `source` is the CloudEvents `source` attribute (the server's own URL, e.g. `http://localhost:8080/`).
    `inference_service`, `namespace`, `component` and `endpoint` become the `ce-*` extensions KServe's sinks read;
    `endpoint` is `default` or `canary` in KServe, empty when unknown.
    The queue holds at most `queue_size` events and `queue_max_bytes` bytes of bodies (bodies may be up to the server's
    body limit each, so a count alone would not bound memory).
    A failed delivery (connection error, timeout, 5xx or 429) is retried up to `max_attempts` attempts in all, waiting
    `backoff_initial_s`, then twice that each time, at most `backoff_max_s`. `stop()` waits at most `drain_timeout_s`
    for queued events.
    """

    url: str
    mode: LoggerMode = LoggerMode.ALL
    source: str = "modelplane-runtime"
    inference_service: str = ""
    namespace: str = ""
    component: str = ""
    endpoint: str = ""
    workers: int = 5
    queue_size: int = 100
    queue_max_bytes: int = 64 * 1024**2
    max_attempts: int = 3
    backoff_initial_s: float = 0.1
    backoff_max_s: float = 2.0
    request_timeout_s: float = 5.0
    drain_timeout_s: float = 5.0

    def __post_init__(self) -> None:
        parsed = urllib.parse.urlsplit(self.url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise LoggerSettingsError(
                f"logger URL {self.url!r} is not an http(s) URL with a host; give one like http://message-dumper.default/"
            )
        if not self.source:
            raise LoggerSettingsError("logger source is empty; give the server's URL, e.g. http://localhost:8080/")
        for name in ("workers", "queue_size", "queue_max_bytes", "max_attempts"):
            value = getattr(self, name)
            if value < 1:
                raise LoggerSettingsError(f"logger {name} is {value}; it must be at least 1")
        for name in ("backoff_initial_s", "backoff_max_s", "request_timeout_s", "drain_timeout_s"):
            value = getattr(self, name)
            if value < 0:
                raise LoggerSettingsError(f"logger {name} is {value}; it must be zero or more seconds")
        if self.backoff_max_s < self.backoff_initial_s:
            raise LoggerSettingsError(
                f"logger backoff_max_s ({self.backoff_max_s}) is below backoff_initial_s ({self.backoff_initial_s});"
                " make the maximum at least the initial wait"
            )

    def backoff_s(self, *, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based): exponential, capped."""
        return float(min(self.backoff_max_s, self.backoff_initial_s * (2 ** (attempt - 1))))
