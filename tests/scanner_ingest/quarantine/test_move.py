"""Quarantine moves: unique names, durable records, across filesystems, nothing left behind."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scanner_ingest import reasons
from scanner_ingest.moves import SymlinkRefused
from scanner_ingest.quarantine import move as quarantine_mod
from scanner_ingest.quarantine.move import (
    REASON_SUFFIX,
    SourceChangedWhileCopied,
    quarantine,
)
from tests.scanner_ingest import filegen as gen
from tests.scanner_ingest.ingest_support import reason_files

WHEN = datetime(2027, 2, 5, 3, 4, 5, 678000, tzinfo=UTC)


def scan(folder: Path, name: str = "SCN_0001.pdf", text: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return gen.write_pdf(folder / name, [gen.blank_page(dpi=50, text=text)], dpi=50)


def hidden_files(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


def test_moves_file_and_writes_record(tmp_path: Path) -> None:
    src = scan(tmp_path / "share" / "Scanner 1")
    data = src.read_bytes()
    qdir = tmp_path / "quarantine"
    dest = quarantine(src, qdir, reasons.TRUNCATED, "no %%EOF", now=WHEN)

    assert dest == qdir / "SCN_0001.pdf"
    assert dest.read_bytes() == data
    assert not src.exists()
    raw = (qdir / ("SCN_0001.pdf" + REASON_SUFFIX)).read_bytes()
    assert "Tệp bị cắt cụt".encode() in raw  # readable by staff who open it
    record = json.loads(raw)
    assert record == {
        "file": "SCN_0001.pdf",
        "reason": "truncated",
        "message_vi": reasons.REASONS["truncated"].message_vi,
        "message_en": reasons.REASONS["truncated"].message_en,
        "detail": "no %%EOF",
        "original_path": str(src),
        "quarantined_at": "2027-02-05T03:04:05.678Z",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    assert hidden_files(qdir) == []


def test_time_defaults_to_now_in_utc(tmp_path: Path) -> None:
    before = datetime.now(UTC)
    quarantine(scan(tmp_path / "in"), tmp_path / "q", reasons.EMPTY)
    [entry] = reason_files(tmp_path / "q")
    when = datetime.fromisoformat(entry.record.quarantined_at)
    assert entry.record.quarantined_at.endswith("Z")
    assert before.replace(microsecond=0) <= when <= datetime.now(UTC)


def test_same_name_twice_keeps_both(tmp_path: Path) -> None:
    qdir = tmp_path / "quarantine"
    dests, digests = [], []
    for n, folder in enumerate(["Scanner 1", "Scanner 2", "Scanner 1"]):
        src = scan(tmp_path / folder, text=str(n))  # the scanner reuses its names
        digests.append(hashlib.sha256(src.read_bytes()).hexdigest())
        when = WHEN + timedelta(seconds=n)
        dests.append(quarantine(src, qdir, reasons.UNPARSEABLE, now=when))
    assert len(set(digests)) == 3
    assert [d.name for d in dests] == ["SCN_0001.pdf", "SCN_0001 (2).pdf", "SCN_0001 (3).pdf"]
    assert [hashlib.sha256(d.read_bytes()).hexdigest() for d in dests] == digests
    listed = reason_files(qdir)
    assert [q.path for q in listed] == dests
    assert [q.record.sha256 for q in listed] == digests
    assert listed[1].record.original_path == str(tmp_path / "Scanner 2" / "SCN_0001.pdf")


def test_names_without_extension(tmp_path: Path) -> None:
    qdir = tmp_path / "q"
    names = [quarantine(scan(tmp_path / str(n), "SCAN"), qdir, reasons.EMPTY).name for n in (1, 2)]
    assert names == ["SCAN", "SCAN (2)"]


def test_orphaned_record_keeps_its_name(tmp_path: Path) -> None:
    qdir = tmp_path / "q"
    qdir.mkdir()
    (qdir / ("SCN_0001.pdf" + REASON_SUFFIX)).write_text("{}")  # its file was deleted by hand
    dest = quarantine(scan(tmp_path / "in"), qdir, reasons.EMPTY)
    assert dest.name == "SCN_0001 (2).pdf"
    assert (qdir / ("SCN_0001.pdf" + REASON_SUFFIX)).read_text() == "{}"


def test_without_hard_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_link(src: object, dst: object) -> None:
        raise PermissionError(1, "Operation not permitted")  # e.g. some CIFS mounts

    monkeypatch.setattr(os, "link", no_link)
    qdir = tmp_path / "q"
    first = quarantine(scan(tmp_path / "a", text="1"), qdir, reasons.EMPTY)
    second = quarantine(scan(tmp_path / "b", text="2"), qdir, reasons.EMPTY)
    assert (first.name, second.name) == ("SCN_0001.pdf", "SCN_0001 (2).pdf")
    assert first.read_bytes() != second.read_bytes()
    assert hidden_files(qdir) == []


@pytest.fixture
def other_filesystem(tmp_path: Path) -> Iterator[Path]:
    shm = Path("/dev/shm")
    if not shm.is_dir() or not os.access(shm, os.W_OK):
        pytest.skip("no /dev/shm")
    if shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("/dev/shm is on the same filesystem")
    with tempfile.TemporaryDirectory(dir=shm) as folder:
        yield Path(folder)


def test_across_filesystems(tmp_path: Path, other_filesystem: Path) -> None:
    src = scan(other_filesystem / "share")
    data = src.read_bytes()
    dest = quarantine(src, tmp_path / "q", reasons.UNKNOWN_TYPE)
    assert dest.read_bytes() == data
    assert not src.exists()


def test_decomposed_name_is_recorded_in_nfc(tmp_path: Path) -> None:
    name = unicodedata.normalize("NFD", "Đơn đề nghị.pdf")
    src = scan(tmp_path / "in", name)
    dest = quarantine(src, tmp_path / "q", reasons.EMPTY)
    assert dest.name == "Đơn đề nghị.pdf"
    [entry] = reason_files(tmp_path / "q")
    assert entry.record.original_path.endswith("/Đơn đề nghị.pdf")


def test_unknown_reason_touches_nothing(tmp_path: Path) -> None:
    src = scan(tmp_path / "in")
    with pytest.raises(ValueError, match="unknown quarantine reason"):
        quarantine(src, tmp_path / "q", "looked_funny")
    assert src.exists()
    assert not (tmp_path / "q").exists()


def test_vanished_source_leaves_nothing_behind(tmp_path: Path) -> None:
    qdir = tmp_path / "q"
    with pytest.raises(FileNotFoundError):
        quarantine(tmp_path / "gone.pdf", qdir, reasons.EMPTY)
    assert list(qdir.iterdir()) == []


def test_symlink_and_fifo_are_not_followed(tmp_path: Path) -> None:
    secret = tmp_path / "node" / "private.key"
    secret.parent.mkdir()
    secret.write_bytes(b"do not ship")
    share = tmp_path / "share"
    share.mkdir()
    link = share / "SCN_0001.pdf"
    link.symlink_to(secret)
    fifo = share / "SCN_0002.pdf"
    os.mkfifo(fifo)
    qdir = tmp_path / "q"
    for src in (link, fifo):
        with pytest.raises(OSError):
            quarantine(src, qdir, reasons.UNREADABLE)
        assert src.exists() or src.is_symlink()
    assert secret.read_bytes() == b"do not ship"
    assert list(qdir.iterdir()) == []


def test_failed_source_removal_keeps_the_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = scan(tmp_path / "in")
    real_unlink = Path.unlink

    def unlink(self: Path, missing_ok: bool = False) -> None:
        if self == src:
            raise PermissionError(13, "Permission denied")  # read-only share
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    with pytest.raises(PermissionError):
        quarantine(src, tmp_path / "q", reasons.EMPTY)
    assert src.exists()
    assert [q.record.file for q in reason_files(tmp_path / "q")] == ["SCN_0001.pdf"]


def _looks(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def test_a_file_written_again_after_the_give_up_is_not_quarantined(tmp_path: Path) -> None:
    # The scanner waited at "scan another page?" past give_up_seconds, then went on.
    src = scan(tmp_path / "in")
    judged = _looks(src)
    with src.open("ab") as f:
        f.write(b"% the next page")
    data = src.read_bytes()
    qdir = tmp_path / "q"
    with pytest.raises(SourceChangedWhileCopied):
        quarantine(src, qdir, reasons.TRUNCATED, expect=judged)
    assert src.read_bytes() == data  # left where it was, whole
    assert list(qdir.iterdir()) == []


def test_bytes_appended_while_the_record_is_written_are_not_deleted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = scan(tmp_path / "in")
    real = quarantine_mod._write_atomically

    def writer_comes_back(dest: Path, data: bytes) -> None:
        real(dest, data)
        with src.open("ab") as f:  # after the copy, before the source is removed
            f.write(b"% one more page")

    monkeypatch.setattr(quarantine_mod, "_write_atomically", writer_comes_back)
    qdir = tmp_path / "q"
    with pytest.raises(SourceChangedWhileCopied):
        quarantine(src, qdir, reasons.TRUNCATED, expect=_looks(src))
    assert src.read_bytes().endswith(b"% one more page")
    assert [p for p in qdir.iterdir() if not p.name.startswith(".")] == []


@pytest.mark.parametrize("total", [244, 250, 255])
def test_a_name_too_long_for_its_record_is_shortened(tmp_path: Path, total: int) -> None:
    head = "Tờ khai "
    name = head + "x" * (total - len(os.fsencode(head + ".pdf"))) + ".pdf"
    assert len(os.fsencode(name)) == total
    src = tmp_path / "in" / name
    src.parent.mkdir()
    src.write_bytes(b"not a scan")  # small on disk: only the name is hostile
    qdir = tmp_path / "q"
    first = quarantine(src, qdir, reasons.UNKNOWN_TYPE, now=WHEN)
    src.write_bytes(b"not a scan either")
    second = quarantine(src, qdir, reasons.UNKNOWN_TYPE, now=WHEN)
    for dest in (first, second):
        assert dest.name.startswith(head) and dest.name.endswith(".pdf")
        assert len(os.fsencode(dest.name + REASON_SUFFIX)) <= 255
        record = json.loads(dest.with_name(dest.name + REASON_SUFFIX).read_bytes())
        assert record["file"] == dest.name and record["original_path"] == str(src)
    assert second.name.endswith(" (2).pdf")
    assert not src.exists()


def test_a_quarantine_folder_replaced_by_a_symlink_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    qdir = tmp_path / "share" / "quarantine"
    qdir.parent.mkdir()
    qdir.symlink_to(elsewhere)
    src = tmp_path / "share" / "notes.txt"
    src.write_text("not a scan")
    with pytest.raises(SymlinkRefused):
        quarantine(src, qdir, reasons.UNKNOWN_TYPE)
    assert src.read_text() == "not a scan"
    assert list(elsewhere.iterdir()) == []
