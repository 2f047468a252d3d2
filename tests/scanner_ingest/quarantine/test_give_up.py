"""Giving up on a file in the service loop: quarantined once, even when its source stays."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from scanner_ingest import status
from scanner_ingest.pdf_worker import PdfWorker
from scanner_ingest.quarantine import records
from tests.scanner_ingest.conftest import MakeNode
from tests.scanner_ingest.ingest_support import reason_files, running, wait_receipts
from tests.support.wait import wait_until


def test_a_source_that_cannot_be_removed_is_quarantined_once(
    make_node: MakeNode, share: Path, pdf_worker: PdfWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = make_node(rescan_seconds=0.5)
    stuck = share / "notes.txt"
    locked = threading.Event()
    locked.set()
    real_unlink = Path.unlink

    def unlink(self: Path, missing_ok: bool = False) -> None:
        if self == stuck and locked.is_set():
            raise PermissionError(13, "Permission denied")  # e.g. a read-only share
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    with running(rt, pdf_worker) as service:
        stuck.write_text("not a scan")
        wait_until(lambda: service._giving_up.is_held(stuck), what="the source held")
        rescans = service.rescans
        wait_until(lambda: service.rescans >= rescans + 2, what="two more rescans")
        assert [q.record.file for q in reason_files(share / "quarantine")] == ["notes.txt"]
        locked.clear()  # the share becomes writable again
        wait_until(lambda: not stuck.exists(), what="the source removed")
    assert [q.record.file for q in reason_files(share / "quarantine")] == ["notes.txt"]
    # Recorded once, before the removal that failed: the node's list shows it.
    assert [Path(q.path).name for q in records.waiting(rt.db.read())] == ["notes.txt"]


def test_a_file_whose_name_leaves_no_room_for_its_record_is_quarantined(
    make_node: MakeNode, share: Path, pdf_worker: PdfWorker
) -> None:
    rt = make_node()
    name = "Giấy tờ " + "z" * (250 - len("Giấy tờ .txt".encode())) + ".txt"
    assert len(name.encode()) == 250
    with running(rt, pdf_worker):
        (share / name).write_text("not a scan")
        wait_receipts(rt, 1, outcome="quarantined")
    [dest] = [p for p in (share / "quarantine").iterdir() if not p.name.endswith(".json")]
    assert dest.read_text() == "not a scan" and dest.name.endswith(".txt")
    assert (share / "quarantine" / (dest.name + ".reason.json")).is_file()
    assert not (share / name).exists()
    [(recorded,)] = rt.db.read().execute("SELECT name FROM scan_receipts").fetchall()
    assert recorded == name  # the receipt keeps the name it was dropped under


def test_a_quarantine_folder_replaced_by_a_symlink_raises_an_alarm(
    make_node: MakeNode, share: Path, tmp_path: Path, pdf_worker: PdfWorker
) -> None:
    rt = make_node()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (share / "quarantine").symlink_to(elsewhere)
    with running(rt, pdf_worker) as service:
        (share / "notes.txt").write_text("not a scan")

        def alarm() -> str | None:
            [entry] = status.read(rt).folders
            return entry.last_error

        wait_until(lambda: "symbolic link" in (alarm() or ""), what="the alarm in the status")
        assert service.quarantined == 0
    assert list(elsewhere.iterdir()) == []
    assert (share / "notes.txt").read_text() == "not a scan"
