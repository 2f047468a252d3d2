"""The board's and the indicator pages' queries, on SQLite and PostgreSQL alike.

The dossiers are the indicator fixture of tests/rules/test_indicators.py (one in every
status, each figure counted by hand there); here every SQL figure must equal what
``rules.indicators.compute`` says of the same states, per node and for the city.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from central import sql_board
from central.board import MONTH_FIGURES, NOW_FIGURES, Counts
from central.sql_store import SqlCentralStore
from central.sql_tables import save_dossiers
from central.store import CentralStore
from rules.clock import OFFICE_TZ, to_utc_iso
from rules.indicators import Stats, compute
from rules.projection import DossierState
from sync import wire
from tests.rules.test_indicators import END, FIXTURE, NOW, START

NORTH, SOUTH = "xa-bac", "xa-nam"
#: Which node holds which fixture dossier (by id): both nodes get every kind of figure.
SOUTH_IDS = {"B", "E", "G", "I", "K"}
AT = "2026-03-20T05:00:00.000000Z"
W = (to_utc_iso(START), to_utc_iso(END), to_utc_iso(NOW))


def _states(node: str | None) -> list[DossierState]:
    if node is None:
        return list(FIXTURE)
    return [s for s in FIXTURE if (s.id in SOUTH_IDS) == (node == SOUTH)]


def _save(store: CentralStore, node: str, states: list[DossierState]) -> None:
    assert isinstance(store, SqlCentralStore)
    with store._write(node) as tx:  # states straight in: the apply path has its own tests
        save_dossiers(tx, node, states)


@pytest.fixture
def filled(store: CentralStore) -> CentralStore:
    for node in (NORTH, SOUTH):
        store.record_birth(wire.Birth(node, AT, 0, "0.2.0", 1), AT)
        _save(store, node, _states(node))
    return store


def _expected(stats: Stats) -> dict[str, int]:
    n = stats.national
    assert n is not None
    return {
        "received": stats.received,
        "resolved": stats.resolved,
        "finished": stats.finished,
        "on_time": stats.on_time,
        "early": stats.early,
        "late": stats.late,
        "digitised": stats.digitised,
        "in_progress": stats.in_progress,
        "overdue": stats.overdue_in_progress,
        "n_ended": n.ended,
        "n_ended_on_time": n.ended_on_time,
        "n_in_progress": n.in_progress,
        "n_within_time": n.in_progress_within_time,
        "n_components": n.components_digitised,
        "n_resolved": n.resolved,
        "n_results": n.results_digitised,
    }


def _counted(store: CentralStore, node: str | None) -> dict[str, Counts]:
    window = store.figure_counts(MONTH_FIGURES, *W, node)
    now = store.figure_counts(NOW_FIGURES, *W, node)
    return {
        n: window.get(n, Counts({})).plus(now.get(n, Counts({})))
        for n in window.keys() | now.keys()
    }


@pytest.mark.parametrize("node", [NORTH, SOUTH])
def test_each_nodes_figures_are_the_rules_figures(filled: CentralStore, node: str) -> None:
    counted = _counted(filled, node)
    assert set(counted) == {node}  # asked for one node: no other node's row
    stats = compute(_states(node), START, END, NOW)
    assert {k: counted[node].get(k) for k in _expected(stats)} == _expected(stats)
    assert stats.national is not None
    assert counted[node].progress_rate == stats.national.progress_rate


def test_the_citys_figures_are_the_sum_and_the_rules_figures(filled: CentralStore) -> None:
    counted = _counted(filled, None)
    assert set(counted) == {NORTH, SOUTH}
    city = counted[NORTH].plus(counted[SOUTH])
    stats = compute(FIXTURE, START, END, NOW)
    expected = _expected(stats)
    assert {k: city.get(k) for k in expected} == expected
    # The hand counts of tests/rules/test_indicators.py, as a check on the check.
    assert (city.get("received"), city.get("on_time"), city.get("overdue")) == (9, 2, 2)
    assert city.on_time_rate == pytest.approx(stats.on_time_rate)
    assert city.progress_rate == pytest.approx((4 + 2) / (7 + 3))
    assert (city.get("returned"), city.get("supplement"), city.get("to_return")) == (2, 1, 1)


@pytest.mark.parametrize(
    ("figure", "ids"),
    [
        ("overdue", {"B", "G"}),
        ("in_progress", {"B", "D", "E", "F", "G"}),
        ("late", {"H", "J", "K"}),
        ("returned", {"J", "K"}),
        ("n_ended_on_time", {"C2", "E", "H", "I"}),
        ("digitised", {"I"}),
    ],
)
def test_the_dossiers_behind_a_figure_are_the_ones_it_counts(
    filled: CentralStore, figure: str, ids: set[str]
) -> None:
    found, total = filled.figure_dossiers(figure, *W, None, 50, 0)
    assert {d.id for d in found} == ids and total == len(ids)
    assert all(d.node_id == (SOUTH if d.id in SOUTH_IDS else NORTH) for d in found)
    south, south_total = filled.figure_dossiers(figure, *W, SOUTH, 50, 0)
    assert {d.id for d in south} == ids & SOUTH_IDS and south_total == len(ids & SOUTH_IDS)
    # Pages: newest reception first, then by id; the pages together are the whole list.
    first, _ = filled.figure_dossiers(figure, *W, None, 1, 0)
    rest, _ = filled.figure_dossiers(figure, *W, None, 50, 1)
    assert [d.id for d in first + rest] == [d.id for d in found]


def test_an_unknown_figure_is_refused_with_the_known_ones(filled: CentralStore) -> None:
    with pytest.raises(sql_board.UnknownFigure, match=r"unknown figure 'bogus'.*overdue"):
        filled.figure_dossiers("bogus", *W, None, 50, 0)
    with pytest.raises(sql_board.UnknownFigure, match="not both"):
        filled.figure_counts(["received", "overdue"], *W, None)


def test_the_board_puts_the_worst_first_and_totals_the_day(store: CentralStore) -> None:
    day = (
        to_utc_iso(datetime(2026, 3, 10, tzinfo=OFFICE_TZ)),
        to_utc_iso(datetime(2026, 3, 11, tzinfo=OFFICE_TZ)),
    )
    nodes = ["xa-a-ok", "xa-b-behind", "xa-c-offline", "xa-d-diverged"]
    for i, node in enumerate(nodes):
        store.record_birth(wire.Birth(node, AT, 10 + i, "0.2.0", 1, 0, 5_000 + i), AT)
    _save(store, "xa-a-ok", _states(NORTH))
    _save(store, "xa-b-behind", _states(SOUTH))
    # xa-a-ok holds all its events; xa-b-behind has 11 pending; xa-c-offline went away.
    assert isinstance(store, SqlCentralStore)
    with store._write(None) as tx:
        tx.run("UPDATE nodes SET acked_upto = node_last_seq WHERE node_id <> ?", ("xa-b-behind",))
        tx.run("UPDATE nodes SET diverged_at = ? WHERE node_id = ?", (AT, "xa-d-diverged"))
    assert store.record_offline(wire.Offline("xa-c-offline", AT, 1), "2026-03-20T06:00:00.000000Z")
    board = store.board(*day, W[2], None)
    assert [r.node.node_id for r in board.rows] == [
        "xa-d-diverged",
        "xa-c-offline",
        "xa-b-behind",
        "xa-a-ok",
    ]
    offline = board.rows[1].node
    assert not offline.online and offline.presence_since == "2026-03-20T06:00:00.000000Z"
    assert board.rows[3].node.online and board.rows[3].node.presence_since == AT
    assert board.rows[3].node.disk_free == 5_000 and board.rows[2].pending_events == 11
    # 10/03: B C2 F I received (I and B in the south); nothing returned that day.
    received = {r.node.node_id: r.today.get("received") for r in board.rows}
    assert received == {"xa-a-ok": 2, "xa-b-behind": 2, "xa-c-offline": 0, "xa-d-diverged": 0}
    assert board.totals.get("received") == 4 and board.totals.get("overdue") == 2
    assert (board.online, board.diverged, board.pending_events) == (3, 1, 11)
    # A commune's own board has its row only.
    assert [r.node.node_id for r in store.board(*day, W[2], "xa-b-behind").rows] == ["xa-b-behind"]


def test_a_birth_from_an_older_node_leaves_disk_free_unknown(store: CentralStore) -> None:
    row = store.record_birth(wire.Birth(NORTH, AT, 3, "0.1.0", 1), AT)
    assert (row.disk_free, row.pending_files, row.oldest_pending_at) == (None, 0, None)
    row = store.record_birth(wire.Birth(NORTH, AT, 3, "0.2.0", 2, 0, 7_000, 2, AT), AT)
    assert (row.disk_free, row.pending_files, row.oldest_pending_at) == (7_000, 2, AT)
    # A later Birth of an older version says nothing of the disk: the last report stays.
    row = store.record_birth(wire.Birth(NORTH, AT, 3, "0.1.0", 3), AT)
    assert row.disk_free == 7_000 and row.software_version == "0.1.0"


def test_the_migration_fills_the_facts_of_dossiers_held_before_it(filled: CentralStore) -> None:
    before = _counted(filled, None)
    assert isinstance(filled, SqlCentralStore)
    with filled._write(None) as tx:
        tx.run(
            "UPDATE dossiers SET supplement_count = NULL, timeliness = NULL, "
            "national_end_at = NULL, has_component = 0, has_result = 0"
        )
        assert sql_board.backfill(tx) == len(FIXTURE)
        assert sql_board.backfill(tx) == 0  # once
    assert _counted(filled, None) == before
