"""Moving sources to processed/: free names, interrupted moves, other filesystems, no links."""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from scanner_ingest.moves import SymlinkRefused, move_unique


def put(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_never_overwrites(tmp_path: Path) -> None:
    dest = tmp_path / "processed"
    first = move_unique(put(tmp_path / "in" / "SCN_0001.pdf", b"1"), dest, "SCN_0001.pdf")
    second = move_unique(put(tmp_path / "in" / "SCN_0001.pdf", b"2"), dest, "SCN_0001.pdf")
    third = move_unique(put(tmp_path / "in" / "README", b"3"), dest, "README")
    fourth = move_unique(put(tmp_path / "in" / "README", b"4"), dest, "README")
    assert [p.name for p in (first, second, third, fourth)] == [
        "SCN_0001.pdf",
        "SCN_0001 (2).pdf",
        "README",
        "README (2)",
    ]
    assert (first.read_bytes(), second.read_bytes()) == (b"1", b"2")
    assert list((tmp_path / "in").iterdir()) == []


def test_finishes_a_move_interrupted_after_the_link(tmp_path: Path) -> None:
    src = put(tmp_path / "in" / "a.pdf", b"a")
    dest = tmp_path / "processed"
    dest.mkdir()
    os.link(src, dest / "a.pdf")  # the crash came between link and unlink
    moved = move_unique(src, dest, "a.pdf")
    assert moved == dest / "a.pdf" and not src.exists()
    assert sorted(p.name for p in dest.iterdir()) == ["a.pdf"]


@pytest.fixture
def other_fs() -> Iterator[Path]:
    if not Path("/dev/shm").is_dir():
        pytest.skip("no /dev/shm")
    with tempfile.TemporaryDirectory(dir="/dev/shm") as d:
        yield Path(d)


def test_across_filesystems(tmp_path: Path, other_fs: Path) -> None:
    if os.stat(tmp_path).st_dev == os.stat(other_fs).st_dev:
        pytest.skip("/dev/shm is on the same filesystem here")
    src = put(tmp_path / "in" / "a.pdf", b"bytes")
    put(other_fs / "a.pdf", b"taken")
    moved = move_unique(src, other_fs, "a.pdf")
    assert moved == other_fs / "a (2).pdf" and moved.read_bytes() == b"bytes"
    assert not src.exists()
    assert sorted(p.name for p in other_fs.iterdir()) == ["a (2).pdf", "a.pdf"]  # no .tmp


def test_without_hard_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_link(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")  # e.g. some SMB servers

    monkeypatch.setattr(os, "link", no_link)
    dest = tmp_path / "processed"
    put(dest / "a.pdf", b"old")
    moved = move_unique(put(tmp_path / "in" / "a.pdf", b"new"), dest, "a.pdf")
    assert moved == dest / "a (2).pdf" and moved.read_bytes() == b"new"
    assert (dest / "a.pdf").read_bytes() == b"old"


def test_only_regular_files(tmp_path: Path) -> None:
    target = put(tmp_path / "secret", b"s")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "link.pdf").symlink_to(target)
    with pytest.raises(OSError):
        move_unique(tmp_path / "in" / "link.pdf", tmp_path / "processed", "link.pdf")
    assert target.read_bytes() == b"s"


def long_name(total_bytes: int, ext: str = ".pdf") -> str:
    """A name of exactly ``total_bytes`` bytes (UTF-8), Vietnamese letters included."""
    head = "Đơn đề nghị "  # 2- and 3-byte letters: shortening must cut between characters
    fill = total_bytes - len(os.fsencode(head + ext))
    return head + "x" * fill + ext


def test_a_255_byte_name_dropped_twice_is_moved_twice(tmp_path: Path) -> None:
    name = long_name(255)
    assert len(os.fsencode(name)) == 255
    dest = tmp_path / "processed" / "2027-02-05"
    first = move_unique(put(tmp_path / "in" / name, b"1"), dest, name)
    second = move_unique(put(tmp_path / "in" / name, b"2"), dest, name)
    assert first.name == name  # a name that fits is kept as it is
    assert second.name != name and second.name.endswith(" (2).pdf")
    assert second.name.startswith("Đơn đề nghị x")
    assert len(os.fsencode(second.name)) <= 255
    assert (first.read_bytes(), second.read_bytes()) == (b"1", b"2")
    assert list((tmp_path / "in").iterdir()) == []


@pytest.mark.parametrize("linked", ["processed", "processed/2027-02-05"])
def test_a_processed_folder_replaced_by_a_symlink_is_refused(tmp_path: Path, linked: str) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    share = tmp_path / "share"
    (share / linked).parent.mkdir(parents=True, exist_ok=True)
    (share / linked).symlink_to(elsewhere)  # by anyone who can write to the share
    src = put(share / "SCN_0001.pdf", b"1")
    with pytest.raises(SymlinkRefused, match="symbolic link"):
        move_unique(src, share / "processed" / "2027-02-05", "SCN_0001.pdf")
    assert src.read_bytes() == b"1"
    assert list(elsewhere.rglob("*")) == []
