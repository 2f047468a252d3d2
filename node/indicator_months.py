"""The node's indicators month by month (office calendar months), for the indicators page
and its CSV export: the same ``rules.indicators.compute`` the ``/api/v1/stats`` endpoint runs,
once per month over the dossiers read once.
"""

from __future__ import annotations

import datetime as dt
import re

import msgspec

from node import dossier_store
from node.runtime import NodeRuntime
from rules import indicators
from rules.clock import OFFICE_TZ, to_utc_iso, utc_now
from rules.errors import DossierError

#: A page or an export covers at most this many months (three years).
MAX_MONTHS = 36
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class MonthFigures(msgspec.Struct, frozen=True):
    month: str  # YYYY-MM, office time
    received: int
    resolved: int
    finished: int
    on_time: int
    early: int
    late: int
    digitised: int
    on_time_rate: float | None
    # Decision 766/QĐ-TTg (docs/indicators.md): progress and digitisation rates.
    progress_rate: float | None
    digitisation_rate: float | None


class MonthlyIndicators(msgspec.Struct, frozen=True):
    months: list[MonthFigures]
    in_progress: int  # at ``computed_at``, whatever the months
    overdue_in_progress: int
    computed_at: str


def parse_month(text: str, field: str) -> tuple[int, int]:
    """``YYYY-MM`` as (year, month); DossierError naming ``field`` otherwise."""
    found = _MONTH.match(text.strip())
    if (
        found is None
        or not 1 <= int(found.group(2)) <= 12
        or not 1900 <= int(found.group(1)) <= 2999
    ):
        raise DossierError(f"{field} must be a month written YYYY-MM, e.g. 2025-03", field)
    return int(found.group(1)), int(found.group(2))


def month_start(year: int, month: int) -> dt.datetime:
    return dt.datetime(year, month, 1, tzinfo=OFFICE_TZ)


def next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def month_span(first: tuple[int, int], last: tuple[int, int]) -> list[tuple[int, int]]:
    """Every month from ``first`` to ``last`` inclusive; DossierError when reversed or over
    ``MAX_MONTHS``."""
    if last < first:
        raise DossierError("the last month comes before the first", "to")
    months = [first]
    while months[-1] != last:
        months.append(next_month(*months[-1]))
        if len(months) > MAX_MONTHS:
            raise DossierError(f"a range covers at most {MAX_MONTHS} months", "to")
    return months


def default_range(now: dt.datetime, count: int = 6) -> tuple[tuple[int, int], tuple[int, int]]:
    """The ``count`` office months ending with the current one."""
    local = now.astimezone(OFFICE_TZ)
    last = (local.year, local.month)
    index = local.year * 12 + local.month - 1 - (count - 1)
    return (index // 12, index % 12 + 1), last


def monthly(
    rt: NodeRuntime,
    first: tuple[int, int],
    last: tuple[int, int],
    now: dt.datetime | None = None,
) -> MonthlyIndicators:
    now = now or utc_now()
    months = month_span(first, last)
    states = dossier_store.iter_states(rt.db.read())
    rows: list[MonthFigures] = []
    stats: indicators.Stats | None = None
    for year, month in months:
        start, end = month_start(year, month), month_start(*next_month(year, month))
        stats = indicators.compute(states, start, end, now)
        national = stats.national
        rows.append(
            MonthFigures(
                month=f"{year:04d}-{month:02d}",
                received=stats.received,
                resolved=stats.resolved,
                finished=stats.finished,
                on_time=stats.on_time,
                early=stats.early,
                late=stats.late,
                digitised=stats.digitised,
                on_time_rate=stats.on_time_rate,
                progress_rate=None if national is None else national.progress_rate,
                digitisation_rate=None if national is None else national.digitisation_rate,
            )
        )
    assert stats is not None  # month_span gives at least one month
    return MonthlyIndicators(rows, stats.in_progress, stats.overdue_in_progress, to_utc_iso(now))
