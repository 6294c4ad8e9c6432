"""Covers storage.extracting with real tar and zip files built here: good archives (nested folders, inner links,
executable bits) and malicious ones (`../` paths, absolute paths, symbolic links out, a link chain that only escapes
when resolved on disk, hard links out, device files, zip slip, links in zips, too many files, too many bytes, a corrupt
archive), each rejected with nothing written outside the target."""

from __future__ import annotations

import io
import pathlib
import stat
import tarfile
import zipfile

import pytest
from modelplane.runtime.storage import archives, errors, extracting

TAR, ZIP = archives.ArchiveFormat.TAR, archives.ArchiveFormat.ZIP


def tar_member(
    name: str, *, body: bytes = b"", kind: bytes = tarfile.REGTYPE, link: str = ""
) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.size = len(body) if kind == tarfile.REGTYPE else 0
    info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    return info, body


def write_tar(path: pathlib.Path, *members: tuple[tarfile.TarInfo, bytes]) -> pathlib.Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, body in members:
            tar.addfile(info, io.BytesIO(body) if info.isreg() else None)
    return path


def write_zip(path: pathlib.Path, *members: tuple[zipfile.ZipInfo | str, bytes]) -> pathlib.Path:
    with zipfile.ZipFile(path, "w") as bundle:
        for info, body in members:
            bundle.writestr(info, body)
    return path


@pytest.fixture
def sandbox(tmp_path: pathlib.Path) -> pathlib.Path:
    """tmp/sandbox/target is where archives unpack; anything else appearing under tmp/sandbox is an escape."""
    target = tmp_path / "sandbox" / "target"
    target.mkdir(parents=True)
    return target


def escaped(target: pathlib.Path) -> list[str]:
    return sorted(path.name for path in target.parent.iterdir() if path != target)


def extract(
    archive: pathlib.Path,
    target: pathlib.Path,
    *,
    fmt: archives.ArchiveFormat = TAR,
    **limits: int,
) -> None:
    extracting.extract(
        archive,
        archive_format=fmt,
        target=target,
        label=archive.name,
        limits=archives.Limits(**limits),
    )


def test_good_tar_with_folders_and_an_inner_link(tmp_path: pathlib.Path, sandbox: pathlib.Path) -> None:
    archive = write_tar(
        tmp_path / "good.tar.gz",
        tar_member("./", kind=tarfile.DIRTYPE),
        tar_member("model/", kind=tarfile.DIRTYPE),
        tar_member("model/weights.bin", body=b"w"),
        tar_member("current", kind=tarfile.SYMTYPE, link="model/weights.bin"),
        tar_member("copy.bin", kind=tarfile.LNKTYPE, link="model/weights.bin"),
    )
    extract(archive, sandbox)
    assert (sandbox / "model" / "weights.bin").read_bytes() == b"w"
    assert (sandbox / "current").is_symlink()
    assert (sandbox / "current").read_bytes() == b"w"
    assert (sandbox / "copy.bin").read_bytes() == b"w"
    assert escaped(sandbox) == []


def test_good_zip_keeps_executable_bits(tmp_path: pathlib.Path, sandbox: pathlib.Path) -> None:
    script = zipfile.ZipInfo("bin/run.sh")
    script.external_attr = (stat.S_IFREG | 0o755) << 16
    archive = write_zip(
        tmp_path / "good.zip",
        ("model/", b""),
        ("model/m.onnx", b"onnx"),
        (script, b"#!/bin/sh"),
    )
    extract(archive, sandbox, fmt=ZIP)
    assert (sandbox / "model" / "m.onnx").read_bytes() == b"onnx"
    assert (sandbox / "bin" / "run.sh").stat().st_mode & 0o111


@pytest.mark.parametrize(
    ("members", "message"),
    [
        pytest.param([tar_member("../evil.txt", body=b"x")], "contains '..'", id="dotdot"),
        pytest.param(
            [tar_member("ok/../../evil.txt", body=b"x")],
            "contains '..'",
            id="nested-dotdot",
        ),
        pytest.param(
            [tar_member("link", kind=tarfile.SYMTYPE, link="../evil.txt")],
            "points outside",
            id="symlink-out",
        ),
        pytest.param(
            [tar_member("link", kind=tarfile.SYMTYPE, link="/etc/passwd")],
            "must be relative",
            id="symlink-abs",
        ),
        pytest.param(
            [
                tar_member("dir", kind=tarfile.SYMTYPE, link=".."),
                tar_member("dir/evil.txt", body=b"x"),
            ],
            "points outside",
            id="symlink-dir-then-write-through",
        ),
        pytest.param(
            [tar_member("hard", kind=tarfile.LNKTYPE, link="/etc/passwd")],
            "is an absolute path",
            id="hardlink-abs",
        ),
        pytest.param(
            [tar_member("hard", kind=tarfile.LNKTYPE, link="../x")],
            "contains '..'",
            id="hardlink-out",
        ),
        pytest.param(
            [tar_member("null", kind=tarfile.CHRTYPE)],
            "is a special file",
            id="char-device",
        ),
        pytest.param([tar_member("fifo", kind=tarfile.FIFOTYPE)], "is a special file", id="fifo"),
    ],
)
def test_malicious_tar_is_rejected(
    tmp_path: pathlib.Path,
    sandbox: pathlib.Path,
    members: list[tuple[tarfile.TarInfo, bytes]],
    message: str,
) -> None:
    archive = write_tar(tmp_path / "evil.tar.gz", *members)
    with pytest.raises(errors.ArchiveRejected, match=message):
        extract(archive, sandbox)
    assert escaped(sandbox) == []


def test_absolute_tar_path_is_rejected(tmp_path: pathlib.Path, sandbox: pathlib.Path) -> None:
    outside = sandbox.parent / "absolute-evil.txt"
    archive = write_tar(tmp_path / "evil.tar.gz", tar_member(str(outside), body=b"x"))
    with pytest.raises(errors.ArchiveRejected, match="is an absolute path"):
        extract(archive, sandbox)
    assert not outside.exists()
    assert escaped(sandbox) == []


def test_link_chain_that_escapes_only_on_disk_is_rejected(tmp_path: pathlib.Path, sandbox: pathlib.Path) -> None:
    # By names, "sub/deep/../.." is the target itself; on disk sub/deep is x, so it resolves to the target's parent.
    archive = write_tar(
        tmp_path / "chain.tar.gz",
        tar_member("x/", kind=tarfile.DIRTYPE),
        tar_member("sub/", kind=tarfile.DIRTYPE),
        tar_member("sub/deep", kind=tarfile.SYMTYPE, link="../x"),
        tar_member("escape", kind=tarfile.SYMTYPE, link="sub/deep/../.."),
        tar_member("escape/evil.txt", body=b"x"),
    )
    with pytest.raises(errors.ArchiveRejected):
        extract(archive, sandbox)
    assert escaped(sandbox) == []


@pytest.mark.parametrize(
    ("members", "message"),
    [
        pytest.param([("../evil.txt", b"x")], "contains '..'", id="zip-slip"),
        pytest.param([("a/../../evil.txt", b"x")], "contains '..'", id="zip-slip-nested"),
        pytest.param([("/abs/evil.txt", b"x")], "is an absolute path", id="absolute"),
        pytest.param([("..\\evil.txt", b"x")], "contains a backslash", id="backslash"),
    ],
)
def test_malicious_zip_is_rejected(
    tmp_path: pathlib.Path,
    sandbox: pathlib.Path,
    members: list[tuple[str, bytes]],
    message: str,
) -> None:
    archive = write_zip(tmp_path / "evil.zip", *members)
    with pytest.raises(errors.ArchiveRejected, match=message):
        extract(archive, sandbox, fmt=ZIP)
    assert escaped(sandbox) == []


def test_zip_symlink_is_rejected(tmp_path: pathlib.Path, sandbox: pathlib.Path) -> None:
    link = zipfile.ZipInfo("link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = write_zip(tmp_path / "link.zip", (link, b"../../etc/passwd"))
    with pytest.raises(
        errors.ArchiveRejected,
        match="is a symbolic link; zip archives may hold only files",
    ):
        extract(archive, sandbox, fmt=ZIP)
    assert list(sandbox.iterdir()) == []


@pytest.mark.parametrize("fmt", [TAR, ZIP], ids=["tar", "zip"])
def test_oversized_archive_is_rejected(
    tmp_path: pathlib.Path, sandbox: pathlib.Path, fmt: archives.ArchiveFormat
) -> None:
    big = b"\0" * 2_000_000  # compresses to a few KiB: a small download that unpacks large
    if fmt is TAR:
        archive = write_tar(
            tmp_path / "big.tar.gz",
            tar_member("a.bin", body=big),
            tar_member("b.bin", body=big),
        )
    else:
        archive = tmp_path / "big.zip"
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            bundle.writestr("a.bin", big)
            bundle.writestr("b.bin", big)
    assert archive.stat().st_size < 100_000
    with pytest.raises(errors.ArchiveRejected, match="unpacks to more than 3000000 bytes"):
        extract(archive, sandbox, fmt=fmt, max_bytes=3_000_000)
    assert escaped(sandbox) == []


def test_too_many_files_is_rejected(tmp_path: pathlib.Path, sandbox: pathlib.Path) -> None:
    archive = write_tar(
        tmp_path / "many.tar.gz",
        *(tar_member(f"f{index}", body=b"x") for index in range(20)),
    )
    with pytest.raises(errors.ArchiveRejected, match="more than 10 entries"):
        extract(archive, sandbox, max_files=10)


@pytest.mark.parametrize("fmt", [TAR, ZIP], ids=["tar", "zip"])
def test_corrupt_archive_is_rejected(
    tmp_path: pathlib.Path, sandbox: pathlib.Path, fmt: archives.ArchiveFormat
) -> None:
    archive = tmp_path / "corrupt"
    archive.write_bytes(b"this is not an archive at all" * 100)
    with pytest.raises(errors.ArchiveRejected, match="cannot be read as a"):
        extract(archive, sandbox, fmt=fmt)


def test_check_tree_refuses_a_link_out(tmp_path: pathlib.Path, sandbox: pathlib.Path) -> None:
    (sandbox / "out").symlink_to(tmp_path)
    with pytest.raises(errors.ArchiveRejected, match="is a link that resolves outside the target"):
        extracting.check_tree(sandbox, label="x")
