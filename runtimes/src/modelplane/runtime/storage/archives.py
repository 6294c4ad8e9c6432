"""Which archive members may be unpacked, and where: the safety rules for model archives. Pure: decides, writes nothing.

A model archive comes from outside the cluster, so every member is vetted before a byte is written: its path must stay
inside the target (no absolute paths, no `..`, no backslash tricks), a symbolic link must point inside the target, a
hard link must name another member, devices and FIFOs are refused, and the whole archive is bounded in file count and
in unpacked bytes (so a small archive cannot fill the node's disk). `extracting` applies these rules while it streams
the archive.
"""

from __future__ import annotations

import dataclasses
import enum
import posixpath

from modelplane.runtime.storage import errors

DEFAULT_MAX_BYTES = 64 * 1024**3
DEFAULT_MAX_FILES = 100_000


class ArchiveFormat(enum.Enum):
    TAR = "tar"  # plain or compressed (gzip, bz2, xz): tarfile detects the compression
    ZIP = "zip"


_SUFFIXES = (
    (".tar.gz", ArchiveFormat.TAR),
    (".tgz", ArchiveFormat.TAR),
    (".tar", ArchiveFormat.TAR),
    (".tar.bz2", ArchiveFormat.TAR),
    (".tar.xz", ArchiveFormat.TAR),
    (".zip", ArchiveFormat.ZIP),
)
_CONTENT_TYPES = {
    "application/zip": ArchiveFormat.ZIP,
    "application/x-zip-compressed": ArchiveFormat.ZIP,
    "application/x-tar": ArchiveFormat.TAR,
    "application/x-gtar": ArchiveFormat.TAR,
    "application/x-compressed-tar": ArchiveFormat.TAR,
}


def format_of(name: str, *, content_type: str = "") -> ArchiveFormat | None:
    """The archive format a file name (or, failing that, an HTTP content type) announces; None for a plain file."""
    lowered = name.lower()
    for suffix, archive_format in _SUFFIXES:
        if lowered.endswith(suffix):
            return archive_format
    return _CONTENT_TYPES.get(content_type.split(";")[0].strip().lower())


class MemberKind(enum.Enum):
    FILE = "file"
    DIRECTORY = "directory"
    SYMLINK = "symbolic link"
    HARDLINK = "hard link"
    OTHER = "special file"  # character or block device, FIFO, or anything else


@dataclasses.dataclass(frozen=True)
class Member:
    """One archive entry as the archive describes it: `link_target` only for links, `size` only for files."""

    name: str
    kind: MemberKind
    size: int = 0
    link_target: str = ""


@dataclasses.dataclass(frozen=True)
class Limits:
    """How big an archive may unpack to: total bytes of its files and number of entries."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_files: int = DEFAULT_MAX_FILES


def safe_relative_path(name: str, *, what: str, error: type[errors.UnsafeContent] = errors.ArchiveRejected) -> str:
    """`name` as a normalised relative POSIX path inside the target ("" for the target itself), or `error`.

    Also used for object names from buckets and containers, whose keys may hold `..` just as archive members may.
    """
    if "\x00" in name:
        raise error(f"{what} {name!r} contains a NUL byte")
    if "\\" in name:
        raise error(f"{what} {name!r} contains a backslash; paths must use '/'")
    if name.startswith("/") or (len(name) >= 2 and name[1] == ":"):
        raise error(f"{what} {name!r} is an absolute path; paths must be relative")
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise error(f"{what} {name!r} contains '..' and could leave the target directory")
    return "/".join(parts)


class Vetter:
    """Admits the members of one archive in order, keeping the running totals the limits apply to."""

    def __init__(self, *, archive: str, limits: Limits) -> None:
        self._archive = archive
        self._limits = limits
        self.files = 0
        self.bytes = 0

    def admit(self, member: Member) -> str:
        """The member's safe relative path ("" for the archive's root entry), or ArchiveRejected saying why not."""
        where = f"archive {self._archive}: member"
        path = safe_relative_path(member.name, what=where)
        if member.kind is MemberKind.OTHER:
            raise errors.ArchiveRejected(
                f"{where} {member.name!r} is a {member.kind.value}; only files, directories"
                " and links inside the archive are allowed"
            )
        if member.kind is MemberKind.SYMLINK:
            self._check_symlink(member, path=path, where=where)
        if member.kind is MemberKind.HARDLINK:
            target = safe_relative_path(member.link_target, what=f"{where} {member.name!r} links to")
            if not target:
                raise errors.ArchiveRejected(f"{where} {member.name!r} is a hard link to the archive root")
        if path:
            self.files += 1
        if self.files > self._limits.max_files:
            raise errors.ArchiveRejected(
                f"archive {self._archive} has more than {self._limits.max_files} entries; raise --max-files if that is"
                " expected"
            )
        if member.kind is MemberKind.FILE:
            if member.size < 0:
                raise errors.ArchiveRejected(f"{where} {member.name!r} declares a negative size")
            self.count_bytes(member.size)
        return path

    def count_bytes(self, size: int) -> None:
        """Add `size` unpacked bytes to the total, or ArchiveRejected past the limit (also used while streaming)."""
        self.bytes += size
        if self.bytes > self._limits.max_bytes:
            raise errors.ArchiveRejected(
                f"archive {self._archive} unpacks to more than {self._limits.max_bytes} bytes; raise --max-bytes if"
                " that is expected"
            )

    def _check_symlink(self, member: Member, *, path: str, where: str) -> None:
        target = member.link_target
        if not target or target.startswith("/") or "\x00" in target or "\\" in target:
            raise errors.ArchiveRejected(
                f"{where} {member.name!r} is a symbolic link to {target!r}; links must be relative and stay inside"
            )
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
        if resolved == ".." or resolved.startswith("../") or not path:
            raise errors.ArchiveRejected(
                f"{where} {member.name!r} is a symbolic link to {target!r}, which points outside the target directory"
            )
