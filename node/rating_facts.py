"""The node's ratings in narrow rows (``dossier_ratings``), so the indicators count them with
one query instead of decoding every returned dossier's state.

A row is written by ``dossier_store.save`` in the transaction that saves the rated state,
so it is never behind; the rating itself is the ``dossier_rated`` event (rules/ratings.py).
"""

from __future__ import annotations

import apsw

from rules.projection import DossierState
from rules.ratings import RatedRow
from storage.dossier_rows import decode_state


def create_table(conn: apsw.Connection) -> None:
    """Migration 011: the table (no dossier is rated before it exists, but fill it anyway)."""
    conn.execute(
        """
        CREATE TABLE dossier_ratings (
            dossier_id TEXT PRIMARY KEY REFERENCES dossiers (id),
            procedure_code TEXT NOT NULL,
            returned_by TEXT NOT NULL,  -- the officer who returned the result
            level TEXT NOT NULL,        -- rules.ratings.RatingLevel
            rated_at TEXT NOT NULL      -- UTC ISO
        ) WITHOUT ROWID;
        """
    )
    for (state,) in conn.execute("SELECT state FROM dossiers WHERE status = 10").fetchall():
        save(conn, decode_state(bytes(state) if isinstance(state, bytes) else str(state)))


def save(conn: apsw.Connection, state: DossierState) -> None:
    rating = state.rating
    if rating is None:
        return
    conn.execute(
        "INSERT OR REPLACE INTO dossier_ratings "
        "(dossier_id, procedure_code, returned_by, level, rated_at) VALUES (?, ?, ?, ?, ?)",
        (state.id, state.procedure_code, rating.returned_by, rating.level, rating.rated_at),
    )


def rated_rows(
    conn: apsw.Connection, node_id: str, start: str | None = None, end: str | None = None
) -> list[RatedRow]:
    """Every rating made in ``[start, end)`` (UTC ISO; None: unbounded)."""
    rows = conn.execute(
        "SELECT procedure_code, returned_by, level FROM dossier_ratings "
        "WHERE (?1 IS NULL OR rated_at >= ?1) AND (?2 IS NULL OR rated_at < ?2)",
        (start, end),
    )
    return [RatedRow(node_id, str(p), str(o), str(level)) for p, o, level in rows]
