"""The node's own record of what it quarantined: ``quarantined_files`` joined with the
file's ``quarantined`` receipt (migration ``006_quarantined_files``).

The ``<name>.reason.json`` beside a quarantined file is for staff who open the share; anyone
who can write to the share can place or rewrite one, so nothing here reads them. Every
function runs inside the caller's transaction (``rt.db.write()``), or reads.
"""

from __future__ import annotations

import os
import stat
from typing import Any

import apsw
import msgspec

from node.schema import quarantine_item_id
from scanner_ingest import receipts


class Quarantined(msgspec.Struct, frozen=True):
    id: str  # shown to staff
    receipt_id: str
    folder: str  # ingest.folder name
    name: str  # where it was dropped, relative to the drop folder, NFC
    path: str  # where the node put it
    reason: str  # a code from ``reasons``
    detail: str
    quarantined_at: str  # UTC
    size: int
    sha256: str


_COLUMNS = (
    "q.id, q.receipt_id, r.folder, r.name, q.path, r.reason, r.detail, r.received_at, "
    "r.size, r.sha256"
)
_FROM = "FROM quarantined_files q JOIN scan_receipts r ON r.id = q.receipt_id"


def _row(row: tuple[Any, ...]) -> Quarantined:
    return msgspec.convert(dict(zip(Quarantined.__struct_fields__, row, strict=True)), Quarantined)


def insert(conn: apsw.Connection, receipt: receipts.Receipt, path: str) -> str:
    """Record the quarantined file of ``receipt`` (inserted with it); return its id."""
    item = quarantine_item_id(receipt.id)
    conn.execute(
        "INSERT INTO quarantined_files (id, receipt_id, path) VALUES (?, ?, ?)",
        (item, receipt.id, path),
    )
    return item


def waiting(conn: apsw.Connection, folder: str | None = None) -> list[Quarantined]:
    """Quarantined files not put back yet, oldest first (of one folder, or all)."""
    where = "WHERE q.retried_at IS NULL" + ("" if folder is None else " AND r.folder = ?")
    rows = conn.execute(
        f"SELECT {_COLUMNS} {_FROM} {where} ORDER BY r.received_at, q.id",
        () if folder is None else (folder,),
    )
    return [_row(r) for r in rows]


def get_waiting(conn: apsw.Connection, item: str) -> Quarantined | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} {_FROM} WHERE q.id = ? AND q.retried_at IS NULL", (item,)
    ).fetchone()
    return None if row is None else _row(row)


def mark_retried(conn: apsw.Connection, item: str, at: str, actor: str, returned_to: str) -> None:
    conn.execute(
        "UPDATE quarantined_files SET retried_at = ?, retried_by = ?, returned_to = ? "
        "WHERE id = ? AND retried_at IS NULL",
        (at, actor, returned_to, item),
    )


def in_place(q: Quarantined) -> bool:
    """The file is still where the node put it (a regular file, not a link put in its
    place); False once an administrator removed it."""
    try:
        return stat.S_ISREG(os.lstat(q.path).st_mode)
    except OSError:
        return False
