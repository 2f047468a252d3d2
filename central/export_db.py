"""``motcua central export``: a standalone SQLite file of the city's dossiers, their events
and files' metadata, the nodes and the indicators per commune per month, written with
sqlite-utils, for Datasette or a spreadsheet.

The file is built under a temporary name beside ``OUT`` and renamed when complete and
synced, so ``OUT`` is never half-written; an existing ``OUT`` is kept unless ``force``.
The rows come from the ``CentralStore`` protocol, so SQLite and PostgreSQL export alike.
Each node is read in two steps, dossiers first and then its log, so a batch arriving
between them can add events but never leave a document or an event without its dossier.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlite_utils

from central import export_months, export_rows
from central.export_rows import PERSONAL_DOSSIER_COLUMNS, Row
from central.store import CentralStore
from rules.clock import from_utc_iso, to_utc_iso
from rules.projection import DossierState
from storage.blob_store import fsync_dir

_BATCH = 1000  # rows per INSERT statement

_FIGURES = {
    "received": int,
    "resolved": int,
    "finished": int,
    "on_time": int,
    "early": int,
    "late": int,
    "digitised": int,
    "on_time_rate": float,
    "progress_rate": float,
    "digitisation_rate": float,
}


class ExportError(Exception):
    """The export cannot be made as asked (the message says why); nothing was written."""


@dataclass(frozen=True)
class ExportRequest:
    out: Path
    received_from: str | None = None  # UTC ISO, inclusive
    received_to: str | None = None  # UTC ISO, exclusive
    personal: bool = False
    force: bool = False


@dataclass
class ExportSummary:
    nodes: int = 0
    dossiers: int = 0
    events: int = 0
    documents: int = 0
    months: int = 0


def check_request(request: ExportRequest) -> None:
    """Refuse a request that cannot succeed, before anything is read or written."""
    start, end = request.received_from, request.received_to
    if start is not None and end is not None and from_utc_iso(start) >= from_utc_iso(end):
        raise ExportError(f"--from ({start}) must come before --to ({end})")
    out = request.out
    if out.is_dir():
        raise ExportError(f"{out}: is a directory; give the file to write")
    if not out.parent.is_dir():
        raise ExportError(f"{out.parent}: no such directory")
    if out.exists() and not request.force:
        raise ExportError(f"{out}: already exists; give --force to replace it")


def _create_tables(db: sqlite_utils.Database, personal: bool) -> None:
    db.table("export_info").create({"key": str, "value": str}, pk="key")
    db.table("nodes").create(
        {
            "node_id": str,
            "first_seen": str,
            "last_seen": str,
            "online": int,
            "software_version": str,
            "events_held": int,
            "events_pending": int,
            "diverged_at": str,
            "dossiers": int,
            "in_progress": int,
            "overdue_in_progress": int,
        },
        pk="node_id",
    )
    dossier_columns: dict[str, type] = {
        "id": str,
        "node_id": str,
        "code": str,
        "procedure_code": str,
        "procedure_version": str,
        "procedure_name": str,
        "channel": str,
        "status": int,
        "status_name": str,
        "submitted_at": str,
        "received_at": str,
        "due_at": str,
        "statutory_due_at": str,
        "finished_at": str,
        "resolved_at": str,
        "returned_at": str,
        "supplement_count": int,
        "reschedule_count": int,
        "provisional": int,
        "timeliness": str,
        "overdue": int,
        "documents": int,
        "conflicts": int,
    }
    if personal:
        dossier_columns.update(dict.fromkeys(PERSONAL_DOSSIER_COLUMNS, str))
    db.table("dossiers").create(
        dossier_columns, pk="id", foreign_keys=[("node_id", "nodes", "node_id")]
    )
    event_columns: dict[str, type] = {
        "id": str,
        "node_id": str,
        "dossier_id": str,
        "origin": str,
        "seq": int,
        "kind": str,
        "recorded_at": str,
        "actor": str,
        "action": str,
        "from_status": int,
        "to_status": int,
        "body": str,
    }
    if personal:
        event_columns["note"] = str
    db.table("events").create(
        event_columns,
        pk="id",
        foreign_keys=[("node_id", "nodes", "node_id"), ("dossier_id", "dossiers", "id")],
    )
    document_columns: dict[str, type] = {
        "event_id": str,
        "dossier_id": str,
        "node_id": str,
        "sha256": str,
        "size": int,
        "mime": str,
        "role": str,
        "copy_kind": str,
        "attached_at": str,
    }
    if personal:
        document_columns["filename"] = str
    db.table("documents").create(
        document_columns,
        pk="event_id",
        foreign_keys=[
            ("event_id", "events", "id"),
            ("dossier_id", "dossiers", "id"),
            ("node_id", "nodes", "node_id"),
        ],
    )
    db.table("indicators").create(
        {"node_id": str, "month": str, **_FIGURES},
        pk=("node_id", "month"),
        foreign_keys=[("node_id", "nodes", "node_id")],
    )
    db.table("city_indicators").create({"month": str, **_FIGURES}, pk="month")


def _create_indexes(db: sqlite_utils.Database) -> None:
    db.table("dossiers").create_index(["node_id", "received_at"])
    db.table("dossiers").create_index(["received_at"])
    db.table("dossiers").create_index(["status", "statutory_due_at"])
    db.table("dossiers").create_index(["code"])
    db.table("dossiers").create_index(["procedure_code"])
    db.table("events").create_index(["dossier_id", "recorded_at"])
    db.table("events").create_index(["node_id", "origin", "seq"], unique=True)
    db.table("events").create_index(["kind"])
    db.table("documents").create_index(["dossier_id"])
    db.table("documents").create_index(["node_id"])
    db.table("documents").create_index(["sha256"])
    db.table("indicators").create_index(["month"])


def _in_range(state: DossierState, request: ExportRequest) -> bool:
    if request.received_from is None and request.received_to is None:
        return True
    if state.received_at is None:
        return False  # not received yet: outside any reception window
    moment = from_utc_iso(state.received_at)
    start, end = request.received_from, request.received_to
    return (start is None or moment >= from_utc_iso(start)) and (
        end is None or moment < from_utc_iso(end)
    )


def _fill(
    db: sqlite_utils.Database, store: CentralStore, request: ExportRequest, now: datetime
) -> ExportSummary:
    summary = ExportSummary()
    every_state: list[DossierState] = []
    per_node: list[tuple[str, list[DossierState]]] = []
    for node in store.list_nodes():
        states = store.dossier_states(node.node_id)
        db.table("nodes").insert(export_rows.node_row(node, states, now))
        summary.nodes += 1
        every_state += states
        per_node.append((node.node_id, states))
        chosen = [s for s in states if _in_range(s, request)]
        db.table("dossiers").insert_all(
            (export_rows.dossier_row(node.node_id, s, now, request.personal) for s in chosen),
            batch_size=_BATCH,
        )
        summary.dossiers += len(chosen)
        ids = {s.id for s in chosen}
        events = [
            export_rows.event_row(node.node_id, r, request.personal)
            for r in store.node_log(node.node_id)
            if r.stream in ids and export_rows.is_dossier_event(r)
        ]
        db.table("events").insert_all(events, batch_size=_BATCH)
        summary.events += len(events)
        documents = [
            row
            for s in chosen
            for row in export_rows.document_rows(node.node_id, s, request.personal)
        ]
        db.table("documents").insert_all(documents, batch_size=_BATCH)
        summary.documents += len(documents)
    months = export_months.export_months(
        every_state, request.received_from, request.received_to, now
    )
    summary.months = len(months)
    for node_id, states in per_node:
        rows: list[Row] = [
            {"node_id": node_id, **row} for row in export_months.month_rows(states, months, now)
        ]
        db.table("indicators").insert_all(rows, batch_size=_BATCH)
    db.table("city_indicators").insert_all(
        export_months.month_rows(every_state, months, now), batch_size=_BATCH
    )
    info = {
        "exported_at": to_utc_iso(now),
        "store": store.kind,
        "received_from": request.received_from or "",
        "received_to": request.received_to or "",
        "with_personal_data": "yes" if request.personal else "no",
        "times": "UTC, ISO 8601; months are office months (Asia/Ho_Chi_Minh)",
    }
    db.table("export_info").insert_all([{"key": k, "value": v} for k, v in info.items()])
    return summary


def _check_keys(conn: sqlite3.Connection) -> None:
    broken = conn.execute("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise ExportError(f"the export would break its own foreign keys: {broken[:5]}")


def _publish(tmp: Path, out: Path, force: bool) -> None:
    """Make the complete file ``out``; without ``force``, never over a file made meanwhile."""
    if force:
        os.replace(tmp, out)
    else:
        try:
            os.link(tmp, out)  # fails if ``out`` exists, unlike a rename
        except FileExistsError:
            raise ExportError(f"{out}: already exists; give --force to replace it") from None
        tmp.unlink()
    fsync_dir(out.parent)


def export(store: CentralStore, request: ExportRequest, now: datetime) -> ExportSummary:
    """Write the export file ``request.out``; ExportError (nothing written) when refused."""
    check_request(request)
    out = request.out
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    # Personal data: readable by the operator only; the public export as the umask says.
    mode = 0o600 if request.personal else 0o666
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode))
        conn = sqlite3.connect(tmp)
        try:
            # The file is fsynced once whole and deleted on any failure: no need to sync or
            # journal on disk while it is built.
            conn.execute("PRAGMA synchronous = OFF")
            conn.execute("PRAGMA journal_mode = MEMORY")
            db = sqlite_utils.Database(conn)
            with conn:
                _create_tables(db, request.personal)
                summary = _fill(db, store, request, now)
                _create_indexes(db)
                _check_keys(conn)
            conn.execute("VACUUM")  # a compact file, every page written by this process
        finally:
            conn.close()
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        _publish(tmp, out, request.force)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return summary
