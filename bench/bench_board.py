"""The communes board's server time with 150 nodes and 1,000,000 dossiers on PostgreSQL.

    uv run python -m bench.bench_board                        # 150 nodes, 1,000,000 dossiers
    uv run python -m bench.bench_board --dossiers 200000      # a smaller run
    uv run python -m bench.bench_board --keep URL             # seed URL once, reuse it after

Seeding writes the city's tables directly in SQL (``generate_series``; no apply path): a
store migrated by ``PostgresCentralStore.migrate``, 150 ``nodes`` rows (one in ten
offline, some behind, one diverged) and the dossiers spread over two years, each commune
alike. Dossiers older than 60 days are finished (returned, refused or stopped); the recent
ones are in every status, so the open share is what a province sees (a few per cent).
Each row carries the facts migration 005 adds (timeliness, 766's end and verdict, files).

Timed, each ``--requests`` times (50) after two warm-up requests:

- **query**: ``store.board(...)`` itself (every SQL statement the page runs);
- **query without 005's indexes**: the same statements in one transaction that first drops
  the indexes migration 005 adds, rolled back afterwards (why each index is there);
- **page**: ``GET /board`` through the city's app in process (log-in, session, rendering of
  150 rows), as a city viewer; the server's time without the network.

The aim is p95 ≤ 500 ms for the page; the ratio printed is page p95 ÷ 500 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from litestar.testing import TestClient

from central import sql_board
from central.board import NOW_FIGURES, office_day
from central.postgres_store import PostgresCentralStore, _PgTx
from central.sql_store import _DAY_FIGURES
from rules.actor import Role
from rules.clock import to_utc_iso, utc_now
from tests.support.city_client import make_city_user
from tests.support.city_fixtures import make_runtime
from tests.support.staff_client import log_in
from web.city_api.app import create_central_app

ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
AIM_MS = 500.0
#: The indexes migration 005 adds for the board and the indicators (central/figures.py).
BOARD_INDEXES = (
    "dossiers_by_finished",
    "dossiers_by_returned",
    "dossiers_by_national_end",
    "dossiers_maybe_open",
)

_TS = """to_char(({expr}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""


def _ts(expr: str) -> str:
    return _TS.format(expr=expr)


SEED_NODES = f"""
INSERT INTO nodes (node_id, first_seen, last_seen, online, started_at, software_version,
    node_last_seq, acked_upto, disk_free, pending_files, oldest_pending_at, presence_since,
    bd_seq, diverged_at, last_error, last_error_at)
SELECT 'xa-' || lpad(g::text, 3, '0'),
    {_ts("%(now)s::timestamptz - interval '400 days'")},
    {_ts("%(now)s::timestamptz - make_interval(secs => g * 7)")},
    CASE WHEN g %% 10 = 0 THEN 0 ELSE 1 END,
    {_ts("%(now)s::timestamptz - interval '2 days'")},
    '0.2.0', 5000 + g * 10,
    CASE WHEN g %% 7 = 0 THEN 5000 + g * 10 - g ELSE 5000 + g * 10 END,
    (20 + g %% 50)::bigint * 1000000000, g %% 3,
    CASE WHEN g %% 7 = 0 THEN {_ts("%(now)s::timestamptz - make_interval(mins => g)")} END,
    {_ts("%(now)s::timestamptz - make_interval(hours => g)")},
    1,
    CASE WHEN g = 42 THEN {_ts("%(now)s::timestamptz - interval '3 hours'")} END,
    CASE WHEN g %% 25 = 0 THEN 'gap: a batch would leave a gap' END,
    CASE WHEN g %% 25 = 0 THEN {_ts("%(now)s::timestamptz - interval '1 hour'")} END
FROM generate_series(1, %(nodes)s) g
"""

# One row per dossier: g spreads the receptions evenly over two years, newest first.
SEED_DOSSIERS = f"""
INSERT INTO dossiers (id, node_id, code, origin, procedure_code, status, channel,
    received_at, due_at, finished_at, search_text, conflicts, state, updated_at,
    resolved_at, returned_at, timeliness, national_end_at, national_on_time,
    supplement_count, has_component, has_result)
SELECT id, node, code, node, '1.000894', status, 'in_person',
    CASE WHEN status = 1 THEN NULL ELSE {_ts("received")} END,
    {_ts("received + interval '7 days'")},
    CASE WHEN status IN (3, 8, 9, 10) THEN {_ts("received + ended")} END,
    lower(code), 0, %(state)s, {_ts("received")},
    CASE WHEN status IN (9, 10) THEN {_ts("received + ended")} END,
    CASE WHEN status = 10 THEN {_ts("received + ended + interval '1 day'")} END,
    CASE WHEN status IN (3, 8, 9, 10)
         THEN CASE WHEN ended > interval '7 days' THEN 'late'
                   ELSE 'early' END END,
    CASE WHEN status IN (3, 7, 8, 9, 10) THEN {_ts("received + ended")}
         WHEN status = 5 THEN {_ts("received + interval '2 days'")} END,
    CASE WHEN status IN (3, 5, 7, 8, 9, 10) AND ended <= interval '7 days' THEN 1 ELSE 0 END,
    CASE WHEN status = 5 THEN 1 ELSE 0 END,
    CASE WHEN g %% 10 < 7 THEN 1 ELSE 0 END,
    CASE WHEN status IN (9, 10) AND g %% 10 < 6 THEN 1 ELSE 0 END
FROM (
    SELECT g, 'd-' || g AS id, 'xa-' || lpad((g %% %(nodes)s + 1)::text, 3, '0') AS node,
        '000.00.15.H42-' || g AS code,
        %(now)s::timestamptz - make_interval(secs => g * (63072000.0 / %(dossiers)s)) AS received,
        CASE WHEN g %% 100 < 85 THEN interval '5 days' ELSE interval '9 days' END AS ended,
        CASE
            WHEN g * (730.0 / %(dossiers)s) > 60 THEN
                CASE WHEN g %% 100 < 94 THEN 10 WHEN g %% 100 < 97 THEN 3 ELSE 8 END
            WHEN g %% 100 < 55 THEN 10 WHEN g %% 100 < 65 THEN 9 WHEN g %% 100 < 80 THEN 4
            WHEN g %% 100 < 85 THEN 5 WHEN g %% 100 < 90 THEN 2 WHEN g %% 100 < 93 THEN 3
            WHEN g %% 100 < 95 THEN 8 WHEN g %% 100 < 97 THEN 6 WHEN g %% 100 < 99 THEN 7
            ELSE 1
        END AS status
    FROM generate_series(1, %(dossiers)s) g
) d
"""


def _state_text() -> str:
    """A dossier state's JSON of a realistic size (the column the board never reads)."""
    return json.dumps({"applicant": {"full_name": "Nguyễn Văn An"}, "pad": "x" * 900})


def seed(url: str, nodes: int, dossiers: int) -> None:
    store = PostgresCentralStore(url)
    store.migrate()
    store.close()
    started = time.perf_counter()
    args = {"now": to_utc_iso(utc_now()), "nodes": nodes, "dossiers": dossiers}
    with psycopg.connect(url) as conn:
        conn.execute(SEED_NODES.encode(), args)
        conn.execute(SEED_DOSSIERS.encode(), {**args, "state": _state_text()})
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(b"VACUUM ANALYZE")
    print(f"seeded {nodes} nodes, {dossiers} dossiers in {time.perf_counter() - started:.1f} s")


def _seeded(url: str) -> bool:
    with psycopg.connect(url) as conn:
        found = conn.execute(b"SELECT to_regclass('dossiers') IS NOT NULL").fetchone()
        if not (found and found[0]):
            return False
        return conn.execute(b"SELECT EXISTS (SELECT 1 FROM dossiers)").fetchone() == (True,)


def timed(call: Callable[[], object], n: int) -> list[float]:
    for _ in range(2):
        call()
    times = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def summary(times: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(times, n=20)
    return {"p50_ms": statistics.median(times), "p95_ms": cuts[18]}


def board_statements(tx: Any, start: str, end: str, now: str) -> None:
    """Every statement ``store.board`` runs, on ``tx``."""
    sql_board.board_nodes(tx, None)
    sql_board.count_figures(tx, _DAY_FIGURES, start, end, now, None)
    sql_board.count_figures(tx, NOW_FIGURES, start, end, now, None)


def without_indexes(url: str, start: str, end: str, now: str, n: int) -> list[float]:
    with psycopg.connect(url) as conn:
        for name in BOARD_INDEXES:
            conn.execute(f"DROP INDEX {name}".encode())
        try:
            return timed(lambda: board_statements(_PgTx(conn), start, end, now), n)
        finally:
            conn.rollback()


def page_times(url: str, n: int) -> list[float]:
    """``GET /board`` through the city's app in process, as a logged-in city viewer."""
    store = PostgresCentralStore(url)
    with (
        tempfile.TemporaryDirectory() as tmp,
        contextlib.contextmanager(make_runtime)(store, Path(tmp)) as runtime,
    ):
        make_city_user(runtime, "xem", Role.CITY_VIEWER)
        with TestClient(app=create_central_app(runtime)) as client:
            log_in(client, "xem")

            def get() -> None:
                answer = client.get("/board")
                assert answer.status_code == 200, answer.text[:500]

            try:
                return timed(get, n)
            finally:
                store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=150)
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--keep", default="", help="a database URL to seed once and reuse")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    name = ""
    url = args.keep
    if not url:
        name = f"bench_board_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"'.encode())
        url = ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        if not _seeded(url):
            seed(url, args.nodes, args.dossiers)
        figures = run(url, args.requests)
    finally:
        if name:
            with psycopg.connect(ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


def run(url: str, n: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    _, start, end = office_day(now)
    at = to_utc_iso(now)
    store = PostgresCentralStore(url)
    try:
        board = store.board(start, end, at, None)
        query = summary(timed(lambda: store.board(start, end, at, None), n))
    finally:
        store.close()
    bare = summary(without_indexes(url, start, end, at, max(5, n // 5)))
    page = summary(page_times(url, n))
    figures: dict[str, Any] = {
        "rows": len(board.rows),
        "open_dossiers": board.totals.get("in_progress"),
        "received_today": board.totals.get("received"),
        "query": query,
        "query_without_005_indexes": bare,
        "index_speed_up": bare["p95_ms"] / query["p95_ms"],
    }
    print(
        f"board rows: {figures['rows']}, open dossiers: {figures['open_dossiers']}, "
        f"received today: {figures['received_today']}"
    )
    print(f"{'':34} {'p50 ms':>9} {'p95 ms':>9}")
    print(f"{'query (store.board)':34} {query['p50_ms']:9.1f} {query['p95_ms']:9.1f}")
    print(f"{'query without 005 indexes':34} {bare['p50_ms']:9.1f} {bare['p95_ms']:9.1f}")
    print(f"index speed-up (p95): {figures['index_speed_up']:.1f}x")
    figures["page"] = page
    figures["page_p95_over_aim"] = page["p95_ms"] / AIM_MS
    print(f"{'page GET /board (in process)':34} {page['p50_ms']:9.1f} {page['p95_ms']:9.1f}")
    print(f"page p95 / aim {AIM_MS:.0f} ms: {figures['page_p95_over_aim']:.2f}")
    print(f"page p95 / query p95: {page['p95_ms'] / query['p95_ms']:.1f}")
    return figures


if __name__ == "__main__":
    main()
