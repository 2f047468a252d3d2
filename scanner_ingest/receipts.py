"""The database side of ingest: scan receipts and their parts (``scan_receipts``,
``scan_parts``, migration ``004_ingest``).

A receipt says what happened to one source file; it is written in the transaction that
attaches its documents, so "the documents exist" and "the receipt exists" are one fact.
Every function here runs inside the caller's transaction (``rt.db.write()``), or reads.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import apsw
import msgspec
import uuid6

from storage.db import scalar

Outcome = Literal["attached", "unfiled", "split", "duplicate", "quarantined"]
PartState = Literal["attached", "duplicate", "unfiled", "assigned", "rejected"]
MatchedBy = Literal["qr", "filename", "unmatched"]
#: Outcomes whose bytes count as received: a later drop of the same bytes is a duplicate.
RECEIVED = ("attached", "unfiled", "split")


class Receipt(msgspec.Struct, frozen=True):
    id: str
    folder: str
    name: str  # relative to the drop folder, NFC
    size: int
    mtime_ns: int
    sha256: str
    kind: str | None
    pages: int
    outcome: Outcome
    duplicate_of: str | None
    reason: str | None
    detail: str
    stable_at: str
    received_at: str
    disposed_at: str | None
    disposed_to: str | None


class Part(msgspec.Struct, frozen=True):
    id: str
    receipt_id: str
    part: int
    first_page: int
    stop_page: int
    sha256: str
    size: int
    mime: str
    filename: str
    role: str
    copy_kind: str
    matched_by: MatchedBy
    code: str | None
    candidates: list[str]
    unfiled_reason: str
    state: PartState
    dossier_id: str | None = None
    event_id: str | None = None
    decided_at: str | None = None
    decided_by: str | None = None
    note: str = ""


def new_id() -> str:
    return str(uuid6.uuid7())


_RECEIPT_COLUMNS = ", ".join(f.name for f in msgspec.structs.fields(Receipt))
_PART_COLUMNS = ", ".join(f.name for f in msgspec.structs.fields(Part))


def _receipt(row: tuple[Any, ...]) -> Receipt:
    return msgspec.convert(dict(zip(Receipt.__struct_fields__, row, strict=True)), Receipt)


def _part(row: tuple[Any, ...]) -> Part:
    values = dict(zip(Part.__struct_fields__, row, strict=True))
    values["candidates"] = json.loads(values["candidates"])
    return msgspec.convert(values, Part)


def insert_receipt(conn: apsw.Connection, receipt: Receipt) -> None:
    values = msgspec.structs.astuple(receipt)
    marks = ", ".join("?" * len(values))
    conn.execute(f"INSERT INTO scan_receipts ({_RECEIPT_COLUMNS}) VALUES ({marks})", values)


def insert_part(conn: apsw.Connection, part: Part) -> None:
    values = list(msgspec.structs.astuple(part))
    values[Part.__struct_fields__.index("candidates")] = json.dumps(part.candidates)
    marks = ", ".join("?" * len(values))
    conn.execute(f"INSERT INTO scan_parts ({_PART_COLUMNS}) VALUES ({marks})", values)


def find_committed(
    conn: apsw.Connection, folder: str, name: str, size: int, mtime_ns: int, sha256: str
) -> Receipt | None:
    """The receipt of this very file if it was committed but its source not yet disposed
    of (a crash between the commit and the move)."""
    row = conn.execute(
        f"SELECT {_RECEIPT_COLUMNS} FROM scan_receipts WHERE folder = ? AND name = ? "
        "AND size = ? AND mtime_ns = ? AND sha256 = ? AND disposed_at IS NULL "
        "AND outcome != 'quarantined' ORDER BY received_at LIMIT 1",
        (folder, name, size, mtime_ns, sha256),
    ).fetchone()
    return None if row is None else _receipt(row)


def find_original(conn: apsw.Connection, sha256: str) -> Receipt | None:
    """The first receipt that received these bytes (not a duplicate, not quarantined)."""
    row = conn.execute(
        f"SELECT {_RECEIPT_COLUMNS} FROM scan_receipts WHERE sha256 = ? "
        "AND outcome IN ('attached', 'unfiled', 'split') ORDER BY received_at LIMIT 1",
        (sha256,),
    ).fetchone()
    return None if row is None else _receipt(row)


def get(conn: apsw.Connection, receipt_id: str) -> Receipt | None:
    row = conn.execute(
        f"SELECT {_RECEIPT_COLUMNS} FROM scan_receipts WHERE id = ?", (receipt_id,)
    ).fetchone()
    return None if row is None else _receipt(row)


def parts_of(conn: apsw.Connection, receipt_id: str) -> list[Part]:
    rows = conn.execute(
        f"SELECT {_PART_COLUMNS} FROM scan_parts WHERE receipt_id = ? ORDER BY part",
        (receipt_id,),
    )
    return [_part(r) for r in rows]


def get_part(conn: apsw.Connection, part_id: str) -> Part | None:
    row = conn.execute(
        f"SELECT {_PART_COLUMNS} FROM scan_parts WHERE id = ?", (part_id,)
    ).fetchone()
    return None if row is None else _part(row)


def mark_disposed(conn: apsw.Connection, receipt_id: str, at: str, disposed_to: str | None) -> None:
    conn.execute(
        "UPDATE scan_receipts SET disposed_at = ?, disposed_to = ? "
        "WHERE id = ? AND disposed_at IS NULL",
        (at, disposed_to, receipt_id),
    )


def undisposed(conn: apsw.Connection) -> list[Receipt]:
    rows = conn.execute(
        f"SELECT {_RECEIPT_COLUMNS} FROM scan_receipts WHERE disposed_at IS NULL "
        "ORDER BY received_at"
    )
    return [_receipt(r) for r in rows]


def unfiled(conn: apsw.Connection, limit: int, offset: int) -> tuple[list[Part], int]:
    """The inbox: parts waiting for a person, oldest first, and how many there are."""
    total = scalar(conn, "SELECT COUNT(*) FROM scan_parts WHERE state = 'unfiled'")
    rows = conn.execute(
        f"SELECT {', '.join('p.' + c for c in Part.__struct_fields__)} FROM scan_parts p "
        "JOIN scan_receipts r ON r.id = p.receipt_id WHERE p.state = 'unfiled' "
        "ORDER BY r.received_at, p.part LIMIT ? OFFSET ?",
        (limit, offset),
    )
    return [_part(r) for r in rows], int(total)


def decide(
    conn: apsw.Connection,
    part_id: str,
    state: PartState,
    at: str,
    actor: str,
    *,
    dossier_id: str | None = None,
    event_id: str | None = None,
    note: str = "",
) -> None:
    conn.execute(
        "UPDATE scan_parts SET state = ?, dossier_id = COALESCE(?, dossier_id), "
        "event_id = ?, decided_at = ?, decided_by = ?, note = ? WHERE id = ?",
        (state, dossier_id, event_id, at, actor, note, part_id),
    )


def outcome_of(states: list[PartState]) -> Outcome:
    """A receipt's outcome from its parts' states at ingest."""
    if len(states) > 1:
        return "split"
    state = states[0]
    return "attached" if state == "attached" else "duplicate" if state == "duplicate" else "unfiled"
