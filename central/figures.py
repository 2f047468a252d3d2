"""The figures the city's board and indicator pages count, each defined once as SQL.

A figure is a condition on one row of the city's ``dossiers`` table. The same condition
counts (``SUM(CASE WHEN ...)``, grouped by node) and lists the dossiers behind the count,
so a number on a page and the list its link opens can never disagree.

The definitions are those of ``rules/indicators.py`` (the project's counts) and
``rules/indicators_766.py`` (Decision 766/QĐ-TTg, docs/indicators.md), over the columns
``fact_values`` writes beside each dossier's state (migration ``005_board``): what the rules
compute from a state that does not depend on the time of asking (timeliness, 766's end and
its verdict, the documents' roles) is stored, so 1,000,000 dossiers are counted in SQL
rather than decoded in Python. Two kinds of figure:

- *window* figures count what happened between ``start`` and ``end`` (a day, a month);
- *now* figures describe the dossiers still open at ``now`` (in progress, overdue ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from rules.clock import from_utc_iso
from rules.indicators_766 import national_end
from rules.projection import DossierState
from rules.timeliness import timeliness
from storage.dossier_rows import OVERDUE_SQL

#: The columns the city keeps beside ``DOSSIER_COLUMNS`` for counting, in ``fact_values`` order.
FACT_COLUMNS: Final = (
    "resolved_at, returned_at, timeliness, national_end_at, national_on_time, "
    "supplement_count, has_component, has_result"
)
FACT_COUNT: Final = 8

#: Rows that can be open at ``now``: every *now* figure is among them (a partial index).
MAYBE_OPEN_SQL: Final = "status NOT IN (3, 8, 10)"

Kind = Literal["window", "now"]


@dataclass(frozen=True)
class Figure:
    name: str
    kind: Kind
    sql: str  # a condition; a window figure's ``?`` are (start, end) pairs, a now one's ``now``


def _in(column: str) -> str:
    return f"({column} >= ? AND {column} < ?)"


_OPEN = "(finished_at IS NULL AND status <> 1 AND received_at IS NOT NULL)"
_RECEIVED = _in("received_at")
_FINISHED = _in("finished_at")
_NATIONAL_OPEN = "(received_at IS NOT NULL AND national_end_at IS NULL)"

FIGURES: Final[dict[str, Figure]] = {
    f.name: f
    for f in [
        # rules.indicators.Stats, over the window
        Figure("received", "window", _RECEIVED),
        Figure("resolved", "window", _in("resolved_at")),
        Figure("finished", "window", _FINISHED),
        Figure("on_time", "window", f"({_FINISHED} AND timeliness IN ('early', 'on_time'))"),
        Figure("early", "window", f"({_FINISHED} AND timeliness = 'early')"),
        Figure("late", "window", f"({_FINISHED} AND timeliness = 'late')"),
        Figure("digitised", "window", f"({_FINISHED} AND has_component = 1 AND has_result = 1)"),
        Figure("returned", "window", _in("returned_at")),
        # rules.indicators_766.National766, over the window
        Figure("n_ended", "window", f"(received_at IS NOT NULL AND {_in('national_end_at')})"),
        Figure(
            "n_ended_on_time",
            "window",
            f"(received_at IS NOT NULL AND {_in('national_end_at')} AND national_on_time = 1)",
        ),
        Figure("n_components", "window", f"({_RECEIVED} AND has_component = 1)"),
        Figure("n_resolved", "window", f"({_RECEIVED} AND resolved_at IS NOT NULL)"),
        Figure(
            "n_results", "window", f"({_RECEIVED} AND resolved_at IS NOT NULL AND has_result = 1)"
        ),
        # at ``now``: the dossiers still open
        Figure("in_progress", "now", _OPEN),
        Figure("overdue", "now", OVERDUE_SQL),
        Figure("supplement", "now", "(status = 5)"),
        Figure("to_return", "now", "(status = 9)"),
        Figure("n_in_progress", "now", _NATIONAL_OPEN),
        Figure(
            "n_within_time",
            "now",
            f"({_NATIONAL_OPEN} AND due_at IS NOT NULL AND due_at >= ? AND supplement_count <= 1)",
        ),
    ]
}

#: Which rows a window query reads (an index serves each part): every window figure needs
#: one of these columns inside the window.
WINDOW_ROWS_SQL: Final = " OR ".join(
    _in(c) for c in ("received_at", "finished_at", "returned_at", "national_end_at")
)


def figure_args(figure: Figure, start: str, end: str, now: str) -> list[object]:
    """The values for the ``?`` of ``figure.sql``, in order."""
    if figure.kind == "now":
        return [now] * figure.sql.count("?")
    return [start, end] * (figure.sql.count("?") // 2)


def window_rows_args(start: str, end: str) -> list[object]:
    return [start, end] * 4


def fact_values(state: DossierState) -> tuple[object, ...]:
    """The values for ``FACT_COLUMNS``: what the rules say of ``state`` whatever the time."""
    verdict = timeliness(state)
    ended = national_end(state)
    due = state.statutory_due_at
    roles = {d.role for d in state.documents}
    # rules.indicators_766._on_time, over the same end.
    on_time = (
        ended is not None
        and due is not None
        and from_utc_iso(ended) <= from_utc_iso(due)
        and state.supplement_count <= 1
    )
    return (
        state.resolved_at,
        state.returned_at,
        None if verdict is None else verdict.value,
        ended if state.received_at is not None else None,
        int(on_time),
        state.supplement_count,
        int("component" in roles),
        int("result" in roles),
    )


#: Schema for the facts and the board's node fields, valid in SQLite and PostgreSQL.
#: The new dossier columns are filled for rows already held by ``sql_board.backfill``.
BOARD_MIGRATION: Final = [
    "ALTER TABLE nodes ADD COLUMN disk_free BIGINT",
    "ALTER TABLE nodes ADD COLUMN pending_files BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE nodes ADD COLUMN oldest_pending_at TEXT",
    "ALTER TABLE nodes ADD COLUMN presence_since TEXT",
    "ALTER TABLE dossiers ADD COLUMN resolved_at TEXT",
    "ALTER TABLE dossiers ADD COLUMN returned_at TEXT",
    "ALTER TABLE dossiers ADD COLUMN timeliness TEXT",
    "ALTER TABLE dossiers ADD COLUMN national_end_at TEXT",
    "ALTER TABLE dossiers ADD COLUMN national_on_time INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE dossiers ADD COLUMN supplement_count INTEGER",  # NULL: not filled yet
    "ALTER TABLE dossiers ADD COLUMN has_component INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE dossiers ADD COLUMN has_result INTEGER NOT NULL DEFAULT 0",
    "CREATE INDEX dossiers_by_finished ON dossiers (finished_at)",
    "CREATE INDEX dossiers_by_returned ON dossiers (returned_at)",
    "CREATE INDEX dossiers_by_national_end ON dossiers (national_end_at)",
    # The board's now figures read only these rows, and only these columns.
    f"CREATE INDEX dossiers_maybe_open ON dossiers (node_id, status, due_at, finished_at, "
    f"received_at, national_end_at, supplement_count) WHERE {MAYBE_OPEN_SQL}",
]
