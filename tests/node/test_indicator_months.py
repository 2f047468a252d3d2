"""The indicators page's monthly figures, counted from ``dossier_indicator_facts`` by SQL,
equal ``rules.indicators.compute`` run month by month over every decoded dossier state."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from bench.bench_pages import seed
from node import dossier_store, indicator_months
from node.runtime import NodeRuntime
from node.schema import migrate
from rules import indicators
from rules.clock import utc_now
from tests.node.test_documents import SIGNED_PDF, upload
from tests.support.accounts import api_client

MONTHS = 12


def expected(
    rt: NodeRuntime, first: tuple[int, int], last: tuple[int, int], now: datetime
) -> indicator_months.MonthlyIndicators:
    """The figures as rules.indicators gives them: every state decoded, once per month."""
    states = dossier_store.iter_states(rt.db.read())
    rows, stats = [], None
    for year, month in indicator_months.month_span(first, last):
        start = indicator_months.month_start(year, month)
        end = indicator_months.month_start(*indicator_months.next_month(year, month))
        stats = indicators.compute(states, start, end, now)
        national = stats.national
        assert national is not None
        rows.append(
            indicator_months.MonthFigures(
                month=f"{year:04d}-{month:02d}",
                received=stats.received,
                resolved=stats.resolved,
                finished=stats.finished,
                on_time=stats.on_time,
                early=stats.early,
                late=stats.late,
                digitised=stats.digitised,
                on_time_rate=stats.on_time_rate,
                progress_rate=national.progress_rate,
                digitisation_rate=national.digitisation_rate,
            )
        )
    assert stats is not None
    return indicator_months.MonthlyIndicators(
        rows, stats.in_progress, stats.overdue_in_progress, computed_at=""
    )


@pytest.fixture
def seeded(runtime: NodeRuntime) -> NodeRuntime:
    """600 dossiers over 300 days in every lifecycle (refused, stopped, two supplements,
    resolved, returned, open), and component and result files on some of them."""
    seed(runtime, 600, random.Random(7))
    rows = runtime.db.read().execute("SELECT id, status FROM dossiers ORDER BY id LIMIT 120")
    with api_client(runtime) as client:
        for n, (dossier_id, status) in enumerate(rows.fetchall()):
            dossier_id = str(dossier_id)
            if n % 3 == 0:
                assert upload(client, dossier_id, SIGNED_PDF, role="component").status_code == 201
            if status in (9, 10) and n % 2 == 0:
                assert upload(client, dossier_id, SIGNED_PDF, role="result").status_code == 201
    return runtime


def figures(rt: NodeRuntime, now: datetime) -> tuple[object, object]:
    first, last = indicator_months.default_range(now, MONTHS)
    got = indicator_months.monthly(rt, first, last, now)
    want = expected(rt, first, last, now)
    return (got.months, got.in_progress, got.overdue_in_progress), (
        want.months,
        want.in_progress,
        want.overdue_in_progress,
    )


def test_monthly_figures_equal_the_rules_on_the_same_dossiers(seeded: NodeRuntime) -> None:
    for days_ago in (0, 45, 200):  # "now" moves: in progress, overdue, within time change
        got, want = figures(seeded, utc_now() - timedelta(days=days_ago))
        assert got == want, days_ago
        months = got[0]  # type: ignore[index]
        # The data exercises every count, so equality is not between zeros.
        for name in ("received", "finished", "on_time", "early", "late", "digitised"):
            assert sum(getattr(m, name) for m in months) > 0, (days_ago, name)


def test_the_migration_fills_the_facts_of_dossiers_stored_before_it(
    seeded: NodeRuntime,
) -> None:
    with seeded.db.write() as conn:
        conn.execute("DROP TABLE dossier_indicator_facts")
        conn.execute("DELETE FROM _migrations WHERE name = '010_indicator_facts'")
    assert migrate(seeded.db.read()) == ["010_indicator_facts"]
    got, want = figures(seeded, utc_now())
    assert got == want
