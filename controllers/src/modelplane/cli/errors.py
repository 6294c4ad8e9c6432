"""The CLI's domain error: a message for the user and the exit status to end with."""

from __future__ import annotations


class CliError(Exception):
    """Bad input or a failed step, said in one line that tells the user what to do; exit status 2 by default."""

    def __init__(self, message: str, *, exit_status: int = 2) -> None:
        super().__init__(message)
        self.exit_status = exit_status
