"""Rows of the city's tables, read and written inside one open transaction.

The pieces every store operation shares: the transaction the SQL runs in (``?``
placeholders in both dialects), the ``nodes`` row mapping, inserting and reading events
(the event and dossier row mappings themselves are ``storage/event_rows.py`` and
``storage/dossier_rows.py``, shared with the node), saving dossiers and counting
rejections. Comparisons that differ between SQLite and PostgreSQL (GREATEST vs MAX,
booleans) are done in Python on rows read under the lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from central import timestamps
from central.figures import FACT_COLUMNS, fact_values
from central.store import NodeRow
from rules.event_record import EventRecord
from rules.projection import DossierState
from rules.replay import canonical_order
from storage.dossier_rows import DOSSIER_COLUMNS, dossier_values
from storage.event_rows import EVENT_COLUMNS, event_from_row, event_values

NODE_COLUMNS = (
    "node_id, first_seen, last_seen, online, started_at, ended_at, software_version, "
    "node_last_seq, acked_upto, central_seq, down_acked_upto, down_sent_upto, down_sent_at, "
    "duplicates, gaps, rejected, last_error, last_error_at, diverged_at, bd_seq, ended_bd_seq, "
    "disk_free, pending_files, oldest_pending_at, presence_since"
)
_BOARD_FIELDS = 4  # the last columns above: what the node's Birth reports for the board
MAX_ERROR = 500  # characters of a last_error kept
_IN_CHUNK = 200  # streams per "IN (...)" query (SQLite allows 32766 parameters)


class Tx(Protocol):
    """One open transaction; SQL uses ``?`` placeholders in both dialects."""

    def rows(self, sql: str, args: Sequence[object] = ()) -> list[tuple[Any, ...]]: ...

    def run(self, sql: str, args: Sequence[object] = ()) -> None: ...

    def many(self, sql: str, rows: Sequence[Sequence[object]]) -> None: ...


# -- nodes ------------------------------------------------------------------------------------


def node_from_row(row: Sequence[Any]) -> NodeRow:
    """The ``NodeRow`` a row selected as ``NODE_COLUMNS`` holds."""
    presence = row[:-_BOARD_FIELDS]
    disk_free, pending_files, oldest_pending_at, presence_since = row[-_BOARD_FIELDS:]
    (node_id, first, last, online, started, ended, version, *ints, error, error_at, diverged) = (
        presence[:-2]
    )
    bd_seq, ended_bd_seq = presence[-2:]
    n_last, acked, central, down_acked, down_sent, down_sent_at, dups, gaps, rejected = ints
    return NodeRow(
        node_id=str(node_id),
        first_seen=str(first),
        last_seen=str(last),
        online=bool(online),
        started_at=started,
        ended_at=ended,
        software_version=str(version),
        node_last_seq=int(n_last),
        acked_upto=int(acked),
        central_seq=int(central),
        down_acked_upto=int(down_acked),
        down_sent_upto=int(down_sent),
        down_sent_at=down_sent_at,
        duplicates=int(dups),
        gaps=int(gaps),
        rejected=int(rejected),
        last_error=error,
        last_error_at=error_at,
        diverged_at=diverged,
        bd_seq=int(bd_seq),
        ended_bd_seq=int(ended_bd_seq),
        disk_free=None if disk_free is None else int(disk_free),
        pending_files=int(pending_files),
        oldest_pending_at=oldest_pending_at,
        presence_since=presence_since,
    )


def same_connection(
    started_a: str | None, bd_seq_a: int, started_b: str | None, bd_seq_b: int
) -> bool:
    """Whether two (session start, bd_seq) name the same connection of the same process.

    Compared for equality only (as instants, since the wire admits several spellings):
    a death pairs with its birth by the number, never by ordering clocks that can jump.
    """
    if started_a is None or started_b is None or bd_seq_a != bd_seq_b:
        return False
    return timestamps.instant(started_a) == timestamps.instant(started_b)


def ensure_node(tx: Tx, node_id: str, at: str) -> NodeRow:
    """The node's row, created (first and last seen ``at``) if the city never saw it."""
    tx.run(
        "INSERT INTO nodes (node_id, first_seen, last_seen) VALUES (?, ?, ?) "
        "ON CONFLICT (node_id) DO NOTHING",
        (node_id, at, at),
    )
    return node_from_row(
        tx.rows(f"SELECT {NODE_COLUMNS} FROM nodes WHERE node_id = ?", (node_id,))[0]
    )


def set_node(tx: Tx, node_id: str, **fields: object) -> None:
    names = sorted(fields)
    assignments = ", ".join(f"{name} = ?" for name in names)
    tx.run(
        f"UPDATE nodes SET {assignments} WHERE node_id = ?",
        [*(fields[n] for n in names), node_id],
    )


def own_event_id(tx: Tx, node_id: str, seq: int) -> str | None:
    """The id of the node's own event at ``seq``, or None."""
    rows = tx.rows(
        "SELECT id FROM events WHERE node_id = ? AND origin = ? AND seq = ?",
        (node_id, node_id, seq),
    )
    return str(rows[0][0]) if rows else None


# -- events -----------------------------------------------------------------------------------


def insert_events(tx: Tx, node_id: str, records: Iterable[EventRecord]) -> None:
    """Store records in the node's log; one already held at its (origin, seq) is skipped."""
    tx.many(
        f"INSERT INTO events (node_id, {EVENT_COLUMNS}) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (node_id, origin, seq) DO NOTHING",
        [(node_id, *event_values(r)) for r in records],
    )


def select_events(tx: Tx, where: str, args: Sequence[object]) -> list[EventRecord]:
    """Events matching ``where`` (after ``WHERE``; it may end with ORDER BY/LIMIT)."""
    return [
        event_from_row(r)
        for r in tx.rows(f"SELECT {EVENT_COLUMNS} FROM events WHERE {where}", args)
    ]


def stream_events(tx: Tx, node_id: str, stream: str) -> list[EventRecord]:
    """One stream's events in canonical order."""
    return streams_events(tx, node_id, [stream]).get(stream, [])


def streams_events(tx: Tx, node_id: str, streams: Sequence[str]) -> dict[str, list[EventRecord]]:
    """Each stream's events in canonical order, a few queries for a whole batch."""
    found: dict[str, list[EventRecord]] = {}
    for i in range(0, len(streams), _IN_CHUNK):
        chunk = streams[i : i + _IN_CHUNK]
        marks = ", ".join("?" * len(chunk))
        for record in select_events(tx, f"node_id = ? AND stream IN ({marks})", (node_id, *chunk)):
            found.setdefault(record.stream, []).append(record)
    return {s: canonical_order(rs) for s, rs in found.items()}


# -- dossiers and rejections ------------------------------------------------------------------


def save_dossiers(tx: Tx, node_id: str, states: list[DossierState]) -> None:
    """Write the dossiers' projected states (insert or replace), owned by ``node_id``, with
    the facts the board counts (``central/figures.py``)."""
    tx.many(
        f"""
        INSERT INTO dossiers (node_id, conflicts, {DOSSIER_COLUMNS}, {FACT_COLUMNS})
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET
            code = excluded.code, procedure_code = excluded.procedure_code,
            status = excluded.status, channel = excluded.channel,
            received_at = excluded.received_at, due_at = excluded.due_at,
            finished_at = excluded.finished_at, search_text = excluded.search_text,
            conflicts = excluded.conflicts, state = excluded.state,
            updated_at = excluded.updated_at, resolved_at = excluded.resolved_at,
            returned_at = excluded.returned_at, timeliness = excluded.timeliness,
            national_end_at = excluded.national_end_at,
            national_on_time = excluded.national_on_time,
            supplement_count = excluded.supplement_count,
            has_component = excluded.has_component, has_result = excluded.has_result
        """,
        [
            (
                node_id,
                len(state.conflicts),
                *dossier_values(state, state_as_text=True),
                *fact_values(state),
            )
            for state in states
        ],
    )


def bump_rejection(tx: Tx, node_id: str | None, reason: str, detail: str, at: str) -> None:
    """Count a rejection by node and reason, and set the node's last error."""
    detail = detail[:MAX_ERROR]
    tx.run(
        "INSERT INTO rejections (node_id, reason, count, last_at, last_detail) "
        "VALUES (?, ?, 1, ?, ?) ON CONFLICT (node_id, reason) DO UPDATE SET "
        "count = rejections.count + 1, last_at = excluded.last_at, "
        "last_detail = excluded.last_detail",
        (node_id or "", reason, at, detail),
    )
    if node_id:
        tx.run(
            "UPDATE nodes SET rejected = rejected + 1, last_error = ?, last_error_at = ? "
            "WHERE node_id = ?",
            (f"{reason}: {detail}"[:MAX_ERROR], at, node_id),
        )
