"""What the citizen's pages and the ratings indicators read and keep at the city: dossiers
by code (the public lookup), and one narrow row per rated dossier (``dossier_ratings``,
the same DDL in SQLite and PostgreSQL), written with the dossier's state so it is never
behind."""

from __future__ import annotations

from central.sql_tables import Tx
from rules.projection import DossierState
from rules.ratings import RatedRow
from storage.dossier_rows import decode_state

#: Migration 004 at the city, both dialects.
RATINGS_DDL = """
CREATE TABLE dossier_ratings (
    dossier_id TEXT PRIMARY KEY,
    node_id TEXT NOT NULL,
    procedure_code TEXT NOT NULL,
    returned_by TEXT NOT NULL,
    level TEXT NOT NULL,
    rated_at TEXT NOT NULL
);
CREATE INDEX dossier_ratings_by_time ON dossier_ratings (rated_at);
"""
#: A code is unique per node; two nodes with odd code patterns could share one.
MAX_SAME_CODE = 5


def dossiers_by_code(tx: Tx, code: str) -> list[DossierState]:
    rows = tx.rows(
        "SELECT state FROM dossiers WHERE code = ? ORDER BY id LIMIT ?", (code, MAX_SAME_CODE)
    )
    return [decode_state(row[0]) for row in rows]


def save_ratings(tx: Tx, node_id: str, states: list[DossierState]) -> None:
    rated = [s for s in states if s.rating is not None]
    tx.many(
        "INSERT INTO dossier_ratings "
        "(dossier_id, node_id, procedure_code, returned_by, level, rated_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (dossier_id) DO UPDATE SET "
        "level = excluded.level, returned_by = excluded.returned_by, "
        "rated_at = excluded.rated_at, procedure_code = excluded.procedure_code",
        [
            (
                s.id,
                node_id,
                s.procedure_code,
                s.rating.returned_by,
                s.rating.level,
                s.rating.rated_at,
            )
            for s in rated
            if s.rating is not None
        ],
    )


def rated_rows(tx: Tx, node_id: str | None, start: str | None, end: str | None) -> list[RatedRow]:
    """Ratings made in ``[start, end)`` (UTC ISO; None: unbounded), of one node or all."""
    where, args = ["1 = 1"], []
    for clause, value in (
        ("node_id = ?", node_id),
        ("rated_at >= ?", start),
        ("rated_at < ?", end),
    ):
        if value is not None:
            where.append(clause)
            args.append(value)
    rows = tx.rows(
        "SELECT node_id, procedure_code, returned_by, level FROM dossier_ratings "
        f"WHERE {' AND '.join(where)}",
        args,
    )
    return [RatedRow(str(n), str(p), str(o), str(level)) for n, p, o, level in rows]
