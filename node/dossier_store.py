"""Where a dossier's current state is stored: the ``dossiers`` projection table.

Rows are written only by :func:`save`, inside the transaction that appended the event
that produced them.
"""

from __future__ import annotations

import apsw
import msgspec

from rules.projection import DossierState
from rules.search_text import fold, like_pattern
from storage.db import scalar

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(DossierState)


class DossierFilter(msgspec.Struct, frozen=True):
    q: str | None = None
    status: int | None = None
    received_from: str | None = None  # UTC ISO, inclusive
    received_to: str | None = None  # UTC ISO, exclusive
    open_only: bool = False  # processing not ended
    overdue: bool | None = None  # True: only overdue at ``now``; False: only not overdue
    now: str = ""  # UTC ISO, the moment overdue is judged at
    limit: int = 50
    offset: int = 0


def search_text(state: DossierState) -> str:
    """What a search matches a dossier on, folded; the city's store indexes the same."""
    parts = [
        state.code,
        state.applicant.full_name,
        state.applicant.id_number,
        state.applicant.phone,
    ]
    if state.proxy is not None:
        parts += [state.proxy.full_name, state.proxy.id_number]
    return fold(" | ".join(parts))


def save(conn: apsw.Connection, state: DossierState) -> None:
    conn.execute(
        """
        INSERT INTO dossiers (id, code, origin, procedure_code, status, channel, received_at,
                              due_at, finished_at, search_text, state, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET
            status = excluded.status, received_at = excluded.received_at,
            due_at = excluded.due_at, finished_at = excluded.finished_at,
            search_text = excluded.search_text, state = excluded.state,
            updated_at = excluded.updated_at
        """,
        (
            state.id,
            state.code,
            state.origin,
            state.procedure_code,
            state.status,
            state.channel,
            state.received_at,
            state.statutory_due_at,
            state.finished_at,
            search_text(state),
            _encoder.encode(state),
            state.updated_at,
        ),
    )


def load(conn: apsw.Connection, dossier_id: str) -> DossierState | None:
    row = conn.execute("SELECT state FROM dossiers WHERE id = ?", (dossier_id,)).fetchone()
    return None if row is None else _decoder.decode(row[0])


def load_by_code(conn: apsw.Connection, code: str) -> DossierState | None:
    row = conn.execute("SELECT state FROM dossiers WHERE code = ?", (code,)).fetchone()
    return None if row is None else _decoder.decode(row[0])


def filter_clauses(f: DossierFilter) -> tuple[list[str], list[object]]:
    """WHERE clauses and arguments for ``f`` over a ``dossiers`` table (node or city)."""
    where: list[str] = ["1 = 1"]
    args: list[object] = []
    if f.q:
        where.append("search_text LIKE ? ESCAPE '\\'")
        args.append(like_pattern(f.q))
    if f.status is not None:
        where.append("status = ?")
        args.append(f.status)
    if f.received_from is not None:
        where.append("received_at >= ?")
        args.append(f.received_from)
    if f.received_to is not None:
        where.append("received_at < ?")
        args.append(f.received_to)
    if f.open_only:
        where.append("finished_at IS NULL")
    if f.overdue is not None:
        # Mirrors timeliness.is_overdue: clock running, past the legal deadline.
        condition = (
            "(finished_at IS NULL AND status NOT IN (1, 5) AND due_at IS NOT NULL AND due_at < ?)"
        )
        where.append(condition if f.overdue else f"NOT {condition}")
        args.append(f.now)
    return where, args


def query(conn: apsw.Connection, f: DossierFilter) -> tuple[list[DossierState], int]:
    """One page of matching dossiers, newest reception first, and the total count."""
    where, args = filter_clauses(f)
    clause = " AND ".join(where)
    total = scalar(conn, f"SELECT COUNT(*) FROM dossiers WHERE {clause}", args)
    rows = conn.execute(
        f"SELECT state FROM dossiers WHERE {clause} "
        "ORDER BY COALESCE(received_at, updated_at) DESC, code DESC LIMIT ? OFFSET ?",
        [*args, f.limit, f.offset],
    )
    return [_decoder.decode(r[0]) for r in rows], int(total)


def iter_states(
    conn: apsw.Connection, where: str = "1 = 1", args: tuple[object, ...] = ()
) -> list[DossierState]:
    return [
        _decoder.decode(r[0])
        for r in conn.execute(f"SELECT state FROM dossiers WHERE {where}", args)
    ]
