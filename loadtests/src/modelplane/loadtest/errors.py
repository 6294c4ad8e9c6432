"""The errors a load test reports to its user: each names what is wrong and how to fix it.

The command line turns every `LoadTestError` into one line on stderr and exit status 2; nothing here knows about
locust, HTTP or the command line.
"""

from __future__ import annotations


class LoadTestError(Exception):
    """Base class: a load test cannot run as asked."""


class TargetNotAllowed(LoadTestError):
    """The target URL is malformed, or not on the loopback interface and `--allow-remote` was not given."""


class InvalidPayload(LoadTestError):
    """The request payload is not valid JSON or not a V1/V2 inference request."""


class InvalidProfile(LoadTestError):
    """A load shape was given levels or durations it cannot run."""


class InvalidRun(LoadTestError):
    """A run's bounds or output files are wrong, or its result files are missing or malformed."""
