"""One dossier as a row of a ``dossiers`` table, and how that table is searched.

The node's table (``node/dossier_store.py``) and the city's (``central/sql_tables.py``,
SQLite and PostgreSQL) hold the same columns for a dossier; the city adds ``node_id`` and
``conflicts``. The values, the folded search text and the filter's WHERE clauses are
written once here. This lives in ``storage/`` rather than ``rules/``: it is the layout of
a table and SQL, and ``rules/`` stays free of databases; the city may depend on
``storage/`` but not on ``node/``.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from rules.projection import DossierState
from rules.search_text import fold, like_pattern

#: The columns both ``dossiers`` tables have, in the order :func:`dossier_values` gives.
DOSSIER_COLUMNS = (
    "id, code, origin, procedure_code, status, channel, received_at, due_at, finished_at, "
    "search_text, state, updated_at"
)

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
    # Added for the staff list; defaults keep every earlier caller's meaning.
    procedure_code: str | None = None
    due_from: str | None = None  # legal deadline (the ``due_at`` column), UTC ISO, inclusive
    due_to: str | None = None  # UTC ISO, exclusive
    provisional: bool | None = None  # True: only appointments counted into an unknown year
    sort: Literal["received", "due"] = "received"
    descending: bool = True


#: True for a dossier whose appointment is exact: its state JSON holds an empty
#: ``provisional_years`` (msgspec writes no spaces, and a quote inside a string value is
#: escaped, so only the field itself can match). No column holds the flag (the city's table
#: shares these columns), so the node indexes this very expression (node/schema.py 008):
#: keep the text identical. SQLite's LIKE never matches a BLOB (the node's column), hence
#: the cast; on the city's TEXT column it changes nothing, in SQLite or PostgreSQL.
EXACT_APPOINTMENT_SQL = "(CAST(state AS TEXT) LIKE '%\"provisional\\_years\":[]%' ESCAPE '\\')"
#: Overdue at the moment bound to its ``?``; mirrors timeliness.is_overdue: clock running,
#: past the legal deadline (the ``due_at`` column). The city's board counts with it too.
OVERDUE_SQL = "(finished_at IS NULL AND status NOT IN (1, 5) AND due_at IS NOT NULL AND due_at < ?)"
#: The list's default order; the node indexes it (node/schema.py 008).
RECEIVED_ORDER_SQL = "COALESCE(received_at, updated_at)"


def search_text(state: DossierState) -> str:
    """What a search matches a dossier on, folded; the node and the city index the same."""
    parts = [
        state.code,
        state.applicant.full_name,
        state.applicant.id_number,
        state.applicant.phone,
    ]
    if state.proxy is not None:
        parts += [state.proxy.full_name, state.proxy.id_number]
    return fold(" | ".join(parts))


def encode_state(state: DossierState) -> bytes:
    """The full state as JSON, as the ``state`` column keeps it."""
    return _encoder.encode(state)


def decode_state(raw: bytes | str) -> DossierState:
    """The state a ``state`` column holds (the node's BLOB or the city's TEXT)."""
    return _decoder.decode(raw)


def dossier_values(state: DossierState, *, state_as_text: bool = False) -> tuple[object, ...]:
    """The values to bind for ``DOSSIER_COLUMNS``.

    ``state_as_text``: the JSON as ``str``, for the city's TEXT column (PostgreSQL will
    not bind bytes to TEXT); the node's column is a BLOB and gets the bytes.
    """
    encoded = encode_state(state)
    return (
        state.id,
        state.code,
        state.origin,
        state.procedure_code,
        state.status,
        state.channel,
        state.received_at,
        state.statutory_due_at,  # overdue is judged by the legal deadline
        state.finished_at,
        search_text(state),
        encoded.decode() if state_as_text else encoded,
        state.updated_at,
    )


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
        where.append(OVERDUE_SQL if f.overdue else f"NOT {OVERDUE_SQL}")
        args.append(f.now)
    if f.procedure_code is not None:
        where.append("procedure_code = ?")
        args.append(f.procedure_code)
    if f.due_from is not None:
        where.append("due_at >= ?")
        args.append(f.due_from)
    if f.due_to is not None:
        where.append("due_at < ?")
        args.append(f.due_to)
    if f.provisional is not None:
        # "= FALSE" rather than NOT: SQLite searches the expression's index only so.
        where.append(f"{EXACT_APPOINTMENT_SQL} = {'FALSE' if f.provisional else 'TRUE'}")
    return where, args


def order_clause(f: DossierFilter) -> str:
    """ORDER BY for ``f.sort``; a dossier without a deadline sorts last either way."""
    direction = "DESC" if f.descending else "ASC"
    if f.sort == "due":
        return f"due_at IS NULL, due_at {direction}, code {direction}"
    return f"{RECEIVED_ORDER_SQL} {direction}, code {direction}"
