"""The node's record of what it quarantined: written before the source goes, carried over
from the receipts of files quarantined before it existed."""

from __future__ import annotations

from pathlib import Path

import apsw
import pytest

from node.schema import MIGRATIONS, quarantine_item_id
from scanner_ingest import reasons
from scanner_ingest.quarantine import records
from scanner_ingest.quarantine.move import REASON_SUFFIX, quarantine
from storage.migrations import apply_migrations


def test_files_quarantined_before_the_table_existed_are_carried_over(tmp_path: Path) -> None:
    conn = apsw.Connection(str(tmp_path / "node.db"))
    before = [m for m in MIGRATIONS if m[0] < "006"]
    apply_migrations(conn, before)
    kept = tmp_path / "share" / "quarantine" / "notes.txt"
    for receipt_id, outcome, disposed_to in (
        ("r1", "quarantined", str(kept)),
        ("r2", "attached", "/share/processed/a.pdf"),
        ("r3", "quarantined", None),  # never got as far as the quarantine folder
    ):
        conn.execute(
            "INSERT INTO scan_receipts (id, folder, name, size, mtime_ns, sha256, outcome, "
            "reason, detail, stable_at, received_at, disposed_at, disposed_to) "
            "VALUES (?, 'may-1', 'notes.txt', 10, 1, 'ab', ?, 'unknown_type', '', "
            "'2027-01-01T00:00:00Z', '2027-01-01T00:00:01Z', '2027-01-01T00:00:02Z', ?)",
            (receipt_id, outcome, disposed_to),
        )
    upto = [m for m in MIGRATIONS if m[0] <= "006_quarantined_files"]
    assert apply_migrations(conn, upto) == ["006_quarantined_files"]
    [row] = records.waiting(conn)
    assert (row.id, row.receipt_id, row.path, row.reason) == (
        quarantine_item_id("r1"),
        "r1",
        str(kept),
        "unknown_type",
    )
    assert records.waiting(conn, "other") == []


def test_a_record_that_cannot_be_committed_leaves_the_source_alone(tmp_path: Path) -> None:
    src = tmp_path / "in" / "notes.txt"
    src.parent.mkdir()
    src.write_text("not a scan")
    qdir = tmp_path / "q"

    def database_busy(*_: object) -> None:
        raise apsw.BusyError("database is locked")

    with pytest.raises(apsw.BusyError):
        quarantine(src, qdir, reasons.UNKNOWN_TYPE, on_durable=database_busy)
    assert src.read_text() == "not a scan"
    assert [p.name for p in qdir.iterdir() if not p.name.startswith(".")] == []
    assert not (qdir / ("notes.txt" + REASON_SUFFIX)).exists()
