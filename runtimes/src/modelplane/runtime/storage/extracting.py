"""Unpacking model archives into a directory, applying the rules in `archives` to every member as it streams by.

Tar archives (plain or compressed) are read as a stream and each member is vetted before it is written; tarfile's
own `data` filter runs as a second line of defence (it resolves links on disk, which name-based vetting cannot).
Zip archives are vetted member by member and written by hand, because zipfile has no such filter; links in zip
archives are refused. After unpacking, the whole tree is checked once more for links that resolve outside it.
The caller unpacks into a fresh staging directory and deletes it on any error, so a rejected archive leaves nothing.
"""

from __future__ import annotations

import os
import pathlib
import stat
import tarfile
import zipfile

from modelplane.runtime.storage import archives, errors

_CHUNK = 1024 * 1024


def extract(
    archive: pathlib.Path,
    *,
    archive_format: archives.ArchiveFormat,
    target: pathlib.Path,
    label: str,
    limits: archives.Limits,
) -> None:
    """Unpack `archive` into the existing directory `target`, or raise ArchiveRejected naming the bad member."""
    vetter = archives.Vetter(archive=label, limits=limits)
    if archive_format is archives.ArchiveFormat.TAR:
        _extract_tar(archive, target=target, label=label, vetter=vetter)
    else:
        _extract_zip(archive, target=target, label=label, vetter=vetter)
    check_tree(target, label=label)


def _tar_member(info: tarfile.TarInfo) -> archives.Member:
    if info.isreg():
        return archives.Member(name=info.name, kind=archives.MemberKind.FILE, size=info.size)
    if info.isdir():
        return archives.Member(name=info.name, kind=archives.MemberKind.DIRECTORY)
    if info.issym():
        return archives.Member(name=info.name, kind=archives.MemberKind.SYMLINK, link_target=info.linkname)
    if info.islnk():
        return archives.Member(name=info.name, kind=archives.MemberKind.HARDLINK, link_target=info.linkname)
    return archives.Member(name=info.name, kind=archives.MemberKind.OTHER)


def _extract_tar(archive: pathlib.Path, *, target: pathlib.Path, label: str, vetter: archives.Vetter) -> None:
    try:
        with tarfile.open(archive, mode="r|*") as tar:
            for info in tar:
                if not vetter.admit(_tar_member(info)):
                    continue  # the archive's own root entry ("./"): the target already exists
                tar.extract(info, path=target, filter="data")
    except tarfile.FilterError as error:
        raise errors.ArchiveRejected(f"archive {label}: {error}") from None
    except (tarfile.ReadError, tarfile.CompressionError, EOFError) as error:
        raise errors.ArchiveRejected(f"archive {label} cannot be read as a tar archive: {error}") from None


def _zip_member(info: zipfile.ZipInfo) -> archives.Member:
    mode = info.external_attr >> 16
    file_type = stat.S_IFMT(mode)
    if info.is_dir():
        return archives.Member(name=info.filename, kind=archives.MemberKind.DIRECTORY)
    if file_type == stat.S_IFLNK:
        return archives.Member(name=info.filename, kind=archives.MemberKind.SYMLINK)
    if file_type not in (0, stat.S_IFREG):
        return archives.Member(name=info.filename, kind=archives.MemberKind.OTHER)
    return archives.Member(name=info.filename, kind=archives.MemberKind.FILE, size=info.file_size)


def _extract_zip(archive: pathlib.Path, *, target: pathlib.Path, label: str, vetter: archives.Vetter) -> None:
    try:
        with zipfile.ZipFile(archive) as bundle:
            for info in bundle.infolist():
                member = _zip_member(info)
                if member.kind is archives.MemberKind.SYMLINK:
                    raise errors.ArchiveRejected(
                        f"archive {label}: member {info.filename!r} is a symbolic link; zip archives may hold only"
                        " files and directories (use a tar archive for links)"
                    )
                relative = vetter.admit(member)
                if not relative:
                    continue
                path = target.joinpath(*relative.split("/"))
                if member.kind is archives.MemberKind.DIRECTORY:
                    path.mkdir(parents=True, exist_ok=True)
                    continue
                path.parent.mkdir(parents=True, exist_ok=True)
                _write_zip_member(bundle, info, path=path, label=label)
    except zipfile.BadZipFile as error:
        raise errors.ArchiveRejected(f"archive {label} cannot be read as a zip archive: {error}") from None


def _write_zip_member(bundle: zipfile.ZipFile, info: zipfile.ZipInfo, *, path: pathlib.Path, label: str) -> None:
    written = 0
    with bundle.open(info) as source, open(path, "wb") as sink:
        while chunk := source.read(_CHUNK):
            written += len(chunk)
            if written > info.file_size:
                raise errors.ArchiveRejected(
                    f"archive {label}: member {info.filename!r} unpacks to more than the {info.file_size} bytes it"
                    " declares"
                )
            sink.write(chunk)
    if (info.external_attr >> 16) & 0o111:
        path.chmod(0o755)


def check_tree(target: pathlib.Path, *, label: str) -> None:
    """Refuse a tree holding a link that resolves outside `target` (however it was built)."""
    root = target.resolve()
    for directory, dirnames, filenames in os.walk(target):
        for name in (*dirnames, *filenames):
            path = pathlib.Path(directory, name)
            if path.is_symlink():
                resolved = path.resolve()
                if resolved != root and root not in resolved.parents:
                    raise errors.ArchiveRejected(
                        f"archive {label}: {path.relative_to(target)} is a link that resolves outside the target"
                    )
