"""The node's indicators month by month (office calendar months), for the indicators page
and its CSV export: the figures ``rules.indicators.compute`` gives for each month (the
``/api/v1/stats`` endpoint runs it), counted by one aggregate query per month over the narrow
``dossier_indicator_facts`` rows (node.indicator_facts) instead of decoding every dossier's
state for every month (seconds with 50,000 dossiers). tests/node/test_indicator_months.py
checks that both give the same figures on the same dossiers.
"""

from __future__ import annotations

import datetime as dt
import re

import apsw
import msgspec

from node.indicator_facts import micros
from node.runtime import NodeRuntime
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


# One month's counts: the window is [?1, ?2) in microseconds.
_MONTH_SQL = """
SELECT
    COALESCE(SUM(received_us >= ?1 AND received_us < ?2), 0),
    COALESCE(SUM(resolved_us >= ?1 AND resolved_us < ?2), 0),
    COALESCE(SUM(finished_us >= ?1 AND finished_us < ?2), 0),
    COALESCE(SUM(finished_us >= ?1 AND finished_us < ?2 AND timeliness IN ('early', 'on_time')), 0),
    COALESCE(SUM(finished_us >= ?1 AND finished_us < ?2 AND timeliness = 'early'), 0),
    COALESCE(SUM(finished_us >= ?1 AND finished_us < ?2 AND timeliness = 'late'), 0),
    COALESCE(SUM(finished_us >= ?1 AND finished_us < ?2 AND digitised), 0),
    COALESCE(SUM(national_end_us >= ?1 AND national_end_us < ?2), 0),
    COALESCE(SUM(national_end_us >= ?1 AND national_end_us < ?2 AND ended_on_time), 0),
    COALESCE(SUM(received_us >= ?1 AND received_us < ?2 AND has_component), 0)
FROM dossier_indicator_facts
WHERE received_us >= ?1 OR resolved_us >= ?1 OR finished_us >= ?1 OR national_end_us >= ?1
"""
# What depends only on ``now`` (?1): in progress, overdue, and 766's in progress.
_NOW_SQL = """
SELECT
    COALESCE(SUM(in_progress), 0),
    COALESCE(SUM(in_progress AND overdue_after_us < ?1), 0),
    COALESCE(SUM(received_us IS NOT NULL AND national_end_us IS NULL), 0),
    COALESCE(SUM(received_us IS NOT NULL AND national_end_us IS NULL
                 AND national_due_us >= ?1), 0)
FROM dossier_indicator_facts
"""


def _counts(conn: apsw.Connection, sql: str, *args: int) -> list[int]:
    """An aggregate query's one row (every SUM is COALESCEd: never NULL)."""
    return [int(value) for value in conn.execute(sql, args).fetchone() or ()]


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _month(
    conn: apsw.Connection, year: int, month: int, in_progress_766: int, within_766: int
) -> MonthFigures:
    start, end = month_start(year, month), month_start(*next_month(year, month))
    row = _counts(conn, _MONTH_SQL, micros(start), micros(end))
    received, resolved, finished, on_time, early, late, digitised = row[:7]
    ended, ended_on_time, components = row[7:]
    return MonthFigures(
        month=f"{year:04d}-{month:02d}",
        received=received,
        resolved=resolved,
        finished=finished,
        on_time=on_time,
        early=early,
        late=late,
        digitised=digitised,
        on_time_rate=_rate(on_time, on_time + late),
        progress_rate=_rate(ended_on_time + within_766, ended + in_progress_766),
        digitisation_rate=_rate(components, received),
    )


def monthly(
    rt: NodeRuntime,
    first: tuple[int, int],
    last: tuple[int, int],
    now: dt.datetime | None = None,
) -> MonthlyIndicators:
    now = now or utc_now()
    months = month_span(first, last)
    conn = rt.db.read()
    with conn:  # one snapshot for every month and the counts at ``now``
        in_progress, overdue, in_progress_766, within_766 = _counts(conn, _NOW_SQL, micros(now))
        rows = [_month(conn, year, month, in_progress_766, within_766) for year, month in months]
    return MonthlyIndicators(rows, in_progress, overdue, to_utc_iso(now))
