"""Errors of the developer cluster tooling, each saying what is wrong and how to fix it."""

from __future__ import annotations


class DevClusterError(Exception):
    """Base class: something the process node or the local ingress cannot do, with the fix in the message."""


class PlanError(DevClusterError):
    """A pod cannot be run as local processes (an unsupported volume, an unknown command, a missing key...)."""


class AddressPoolExhausted(DevClusterError):
    """Every loopback address of the pool is held by a pod."""


class RouteError(DevClusterError):
    """An ingress object cannot be turned into proxy configuration."""


class SetupError(DevClusterError):
    """The machine lacks something the tooling needs (a binary, root, a free port)."""
