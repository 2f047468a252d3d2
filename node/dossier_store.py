"""Where a dossier's current state is stored: the ``dossiers`` projection table.

Rows are written only by :func:`save`, inside the transaction that appended the event
that produced them. The row mapping, the search text and the filter are shared with the
city's store (``storage/dossier_rows.py``).
"""

from __future__ import annotations

import apsw

from node import indicator_facts, rating_facts
from rules.projection import DossierState
from storage.db import scalar
from storage.dossier_rows import (
    DOSSIER_COLUMNS,
    DossierFilter,
    decode_state,
    dossier_values,
    filter_clauses,
    order_clause,
)


def save(conn: apsw.Connection, state: DossierState) -> None:
    conn.execute(
        f"""
        INSERT INTO dossiers ({DOSSIER_COLUMNS})
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET
            status = excluded.status, received_at = excluded.received_at,
            due_at = excluded.due_at, finished_at = excluded.finished_at,
            search_text = excluded.search_text, state = excluded.state,
            updated_at = excluded.updated_at
        """,
        dossier_values(state),
    )
    indicator_facts.save(conn, state)
    rating_facts.save(conn, state)


def load(conn: apsw.Connection, dossier_id: str) -> DossierState | None:
    row = conn.execute("SELECT state FROM dossiers WHERE id = ?", (dossier_id,)).fetchone()
    return None if row is None else decode_state(row[0])


def load_by_code(conn: apsw.Connection, code: str) -> DossierState | None:
    row = conn.execute("SELECT state FROM dossiers WHERE code = ?", (code,)).fetchone()
    return None if row is None else decode_state(row[0])


def query(conn: apsw.Connection, f: DossierFilter) -> tuple[list[DossierState], int]:
    """One page of matching dossiers in ``f``'s order (newest reception first by default),
    and the total count."""
    where, args = filter_clauses(f)
    clause = " AND ".join(where)
    total = scalar(conn, f"SELECT COUNT(*) FROM dossiers WHERE {clause}", args)
    # The page's ids first, then their states: sorting only the narrow columns keeps a
    # large table's sort from carrying every state blob along.
    ids = [
        str(r[0])
        for r in conn.execute(
            f"SELECT id FROM dossiers WHERE {clause} ORDER BY {order_clause(f)} LIMIT ? OFFSET ?",
            [*args, f.limit, f.offset],
        )
    ]
    states = _states_by_id(conn, ids)
    return [states[i] for i in ids], int(total)


_IDS_PER_SELECT = 500  # well under SQLite's limit on bound variables


def _states_by_id(conn: apsw.Connection, ids: list[str]) -> dict[str, DossierState]:
    states: dict[str, DossierState] = {}
    for start in range(0, len(ids), _IDS_PER_SELECT):
        chunk = ids[start : start + _IDS_PER_SELECT]
        marks = ", ".join("?" * len(chunk))
        rows = conn.execute(f"SELECT id, state FROM dossiers WHERE id IN ({marks})", chunk)
        states.update((str(i), decode_state(s)) for i, s in rows)
    return states


def iter_states(
    conn: apsw.Connection, where: str = "1 = 1", args: tuple[object, ...] = ()
) -> list[DossierState]:
    return [
        decode_state(r[0]) for r in conn.execute(f"SELECT state FROM dossiers WHERE {where}", args)
    ]
