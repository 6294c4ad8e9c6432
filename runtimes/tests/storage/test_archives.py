"""Covers storage.archives (pure): archive formats from names and content types, path normalisation and every
rejection (absolute, `..`, backslash, NUL, drive letters), symlink and hard-link rules, special files, and the
file-count and byte limits."""

from __future__ import annotations

import pytest
from modelplane.runtime.storage import archives, errors

File, Dir, Sym, Hard, Other = (
    archives.MemberKind.FILE,
    archives.MemberKind.DIRECTORY,
    archives.MemberKind.SYMLINK,
    archives.MemberKind.HARDLINK,
    archives.MemberKind.OTHER,
)


@pytest.mark.parametrize(
    ("name", "content_type", "expected"),
    [
        pytest.param("m.tar.gz", "", archives.ArchiveFormat.TAR, id="tar.gz"),
        pytest.param("M.TGZ", "", archives.ArchiveFormat.TAR, id="tgz-upper"),
        pytest.param("m.tar", "", archives.ArchiveFormat.TAR, id="tar"),
        pytest.param("m.zip", "", archives.ArchiveFormat.ZIP, id="zip"),
        pytest.param(
            "download",
            "application/zip; charset=binary",
            archives.ArchiveFormat.ZIP,
            id="zip-by-type",
        ),
        pytest.param(
            "download",
            "application/x-tar",
            archives.ArchiveFormat.TAR,
            id="tar-by-type",
        ),
        pytest.param("model.joblib", "application/octet-stream", None, id="plain"),
        pytest.param("model.gz", "", None, id="gzip-alone-is-no-archive"),
    ],
)
def test_format_of(name: str, content_type: str, expected: archives.ArchiveFormat | None) -> None:
    assert archives.format_of(name, content_type=content_type) is expected


def admit(*members: archives.Member, limits: archives.Limits | None = None) -> list[str]:
    vetter = archives.Vetter(archive="a.tgz", limits=limits or archives.Limits())
    return [vetter.admit(member) for member in members]


def test_paths_are_normalised() -> None:
    assert admit(
        archives.Member("./", Dir),
        archives.Member("./model/", Dir),
        archives.Member("model//./weights.bin", File, size=3),
        archives.Member("model/link", Sym, link_target="weights.bin"),
        archives.Member("model/up", Sym, link_target="../model/weights.bin"),
        archives.Member("copy.bin", Hard, link_target="./model/weights.bin"),
    ) == ["", "model", "model/weights.bin", "model/link", "model/up", "copy.bin"]


@pytest.mark.parametrize(
    ("member", "message"),
    [
        pytest.param(archives.Member("../evil", File), "contains '..'", id="dotdot"),
        pytest.param(archives.Member("a/../../evil", File), "contains '..'", id="nested-dotdot"),
        pytest.param(archives.Member("/etc/passwd", File), "is an absolute path", id="absolute"),
        pytest.param(archives.Member("C:/x", File), "is an absolute path", id="drive"),
        pytest.param(archives.Member("..\\evil", File), "contains a backslash", id="backslash"),
        pytest.param(archives.Member("a\x00b", File), "contains a NUL byte", id="nul"),
        pytest.param(archives.Member("dev/sda", Other), "is a special file", id="device"),
        pytest.param(
            archives.Member("out", Sym, link_target="/etc/passwd"),
            "links must be relative",
            id="abs-link",
        ),
        pytest.param(
            archives.Member("a/out", Sym, link_target="../../x"),
            "points outside the target",
            id="link-out",
        ),
        pytest.param(
            archives.Member("here", Sym, link_target=".."),
            "points outside the target",
            id="link-parent",
        ),
        pytest.param(
            archives.Member("h", Hard, link_target="../x"),
            "contains '..'",
            id="hardlink-out",
        ),
        pytest.param(
            archives.Member("h", Hard, link_target="/etc/shadow"),
            "is an absolute path",
            id="hardlink-abs",
        ),
        pytest.param(archives.Member("f", File, size=-1), "negative size", id="negative-size"),
    ],
)
def test_rejections(member: archives.Member, message: str) -> None:
    with pytest.raises(errors.ArchiveRejected) as caught:
        admit(member)
    assert message in str(caught.value)
    assert "archive a.tgz" in str(caught.value)
    assert caught.value.exit_code == 6


def test_file_count_limit() -> None:
    limits = archives.Limits(max_files=2)
    admit(archives.Member("a", File), archives.Member("b", Dir), limits=limits)
    with pytest.raises(errors.ArchiveRejected, match="more than 2 entries"):
        admit(
            archives.Member("a", File),
            archives.Member("b", Dir),
            archives.Member("c", File),
            limits=limits,
        )


def test_byte_limit() -> None:
    limits = archives.Limits(max_bytes=10)
    admit(
        archives.Member("a", File, size=6),
        archives.Member("b", File, size=4),
        limits=limits,
    )
    with pytest.raises(errors.ArchiveRejected, match="unpacks to more than 10 bytes"):
        admit(
            archives.Member("a", File, size=6),
            archives.Member("b", File, size=5),
            limits=limits,
        )


def test_object_names_use_their_own_error() -> None:
    with pytest.raises(errors.UnsafeContent, match=r"contains '\.\.'") as caught:
        archives.safe_relative_path("x/../../etc", what="object", error=errors.UnsafeContent)
    assert type(caught.value) is errors.UnsafeContent
