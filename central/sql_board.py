"""The board's and the indicator pages' reads: a few grouped queries, never one per node.

Every count is ``SUM(CASE WHEN <figure> ...)`` grouped by node over the figures of
``central/figures.py``; a window query reads only the rows with a date inside the window
(indexes on each date) and a now query only the rows that may be open (a partial index).
"""

from __future__ import annotations

from collections.abc import Sequence

from central.board import Counts, FigureDossier
from central.figures import (
    FIGURES,
    MAYBE_OPEN_SQL,
    WINDOW_ROWS_SQL,
    figure_args,
    window_rows_args,
)
from central.sql_tables import NODE_COLUMNS, Tx, node_from_row, save_dossiers
from central.store import NodeRow
from rules.projection import DossierState
from storage.dossier_rows import decode_state

_BACKFILL_CHUNK = 2000  # dossiers re-saved per statement when filling the facts


class UnknownFigure(ValueError):
    """A figure name the city does not count."""


def _figure(name: str) -> str:
    if name not in FIGURES:
        raise UnknownFigure(f"unknown figure {name!r}; known: {', '.join(sorted(FIGURES))}")
    return name


def _node_clause(node: str | None) -> tuple[str, list[object]]:
    return ("", []) if node is None else (" AND node_id = ?", [node])


def count_figures(
    tx: Tx, names: Sequence[str], start: str, end: str, now: str, node: str | None
) -> dict[str, Counts]:
    """Node id -> counts of ``names`` (all window figures, or all now figures)."""
    figures = [FIGURES[_figure(n)] for n in names]
    kinds = {f.kind for f in figures}
    if len(kinds) != 1:
        raise UnknownFigure(f"one query counts window or now figures, not both: {names}")
    sums = ", ".join(f"SUM(CASE WHEN {f.sql} THEN 1 ELSE 0 END)" for f in figures)
    args: list[object] = [a for f in figures for a in figure_args(f, start, end, now)]
    if kinds == {"now"}:
        where, where_args = MAYBE_OPEN_SQL, []
    else:
        where, where_args = f"({WINDOW_ROWS_SQL})", window_rows_args(start, end)
    node_sql, node_args = _node_clause(node)
    rows = tx.rows(
        f"SELECT node_id, {sums} FROM dossiers WHERE {where}{node_sql} GROUP BY node_id",
        [*args, *where_args, *node_args],
    )
    return {
        str(row[0]): Counts({n: int(v or 0) for n, v in zip(names, row[1:], strict=True)})
        for row in rows
    }


def board_nodes(tx: Tx, node: str | None) -> list[NodeRow]:
    node_sql, node_args = _node_clause(node)
    rows = tx.rows(f"SELECT {NODE_COLUMNS} FROM nodes WHERE 1 = 1{node_sql}", node_args)
    return [node_from_row(r) for r in rows]


def figure_dossiers(
    tx: Tx,
    name: str,
    start: str,
    end: str,
    now: str,
    node: str | None,
    limit: int,
    offset: int,
) -> tuple[list[FigureDossier], int]:
    """One page of the dossiers a figure counts (newest reception first) and their number."""
    figure = FIGURES[_figure(name)]
    node_sql, node_args = _node_clause(node)
    where = f"{figure.sql}{node_sql}"
    args = [*figure_args(figure, start, end, now), *node_args]
    total = int(tx.rows(f"SELECT COUNT(*) FROM dossiers WHERE {where}", args)[0][0])
    rows = tx.rows(
        "SELECT node_id, id, code, status, received_at, due_at, finished_at FROM dossiers "
        f"WHERE {where} ORDER BY received_at DESC, id LIMIT ? OFFSET ?",
        [*args, limit, offset],
    )
    return [
        FigureDossier(str(n), str(i), str(c), int(s), r, d, f) for n, i, c, s, r, d, f in rows
    ], total


def backfill(tx: Tx) -> int:
    """Fill the fact columns of dossiers saved before migration 004; returns how many."""
    done = 0
    while True:
        rows = tx.rows(
            "SELECT node_id, state FROM dossiers WHERE supplement_count IS NULL "
            "ORDER BY id LIMIT ?",
            (_BACKFILL_CHUNK,),
        )
        if not rows:
            return done
        by_node: dict[str, list[DossierState]] = {}
        for node_id, state in rows:
            by_node.setdefault(str(node_id), []).append(decode_state(state))
        for node_id, states in by_node.items():
            save_dossiers(tx, node_id, states)
        done += len(rows)
