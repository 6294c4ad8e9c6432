"""What can go wrong when fetching a model, as plain exceptions that each carry a one-line message and an exit code.

The command line prints `modelplane-storage-init: <message>` and exits with the code, so a user reading the init
container's log (or its exit code) learns what failed and how to fix it, never a traceback.
"""

from __future__ import annotations


class StorageError(Exception):
    """Base of every storage initializer error; `exit_code` is what the command exits with."""

    exit_code = 1


class InvalidUri(StorageError):
    """The source URI has a scheme we do not serve, or lacks a part (bucket, container, path) its scheme needs."""

    exit_code = 2


class CredentialsMissing(StorageError):
    """The store needs credentials that the environment does not give, or gives unreadable ones."""

    exit_code = 3


class AccessDenied(StorageError):
    """The store refused the credentials (HTTP 401/403 or the store's own equivalent)."""

    exit_code = 4


class SourceNotFound(StorageError):
    """Nothing exists at the source: no such file, object, prefix, bucket or container (HTTP 404)."""

    exit_code = 5


class InvalidSetting(StorageError):
    """An environment variable or option the initializer reads has a value it cannot use."""

    exit_code = 2


class UnsafeContent(StorageError):
    """The source holds something that would write outside the destination (e.g. an object key with `..`)."""

    exit_code = 6


class ArchiveRejected(UnsafeContent):
    """An archive holds something unsafe (a path leaving the target, a link out, a device) or exceeds a limit."""


class DownloadFailed(StorageError):
    """The transfer itself failed: the server is unreachable, answered an unexpected error, or cut the stream."""

    exit_code = 7


class DestinationError(StorageError):
    """The destination or the cache directory cannot be written."""

    exit_code = 8
