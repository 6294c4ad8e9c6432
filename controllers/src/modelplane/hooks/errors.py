"""The one error a hook job reports: what went wrong and what to do about it, printed without a traceback."""

from __future__ import annotations


class HookError(Exception):
    """A hook cannot do its job; the message names the object, the problem and the fix."""
